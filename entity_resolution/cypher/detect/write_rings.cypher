// Ring nodes of this detection, with their figures, tagged with the detection and run ids.
// params: $rows (list of ring maps), $detection_id (string), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MERGE (r:Ring {ring_id: row.ring_id})
SET r.entity_count = row.entity_count, r.account_count = row.account_count, r.device_count = row.device_count,
    r.card_count = row.card_count, r.ip_count = row.ip_count, r.email_count = row.email_count,
    r.phone_count = row.phone_count, r.first_seen = row.first_seen, r.last_seen = row.last_seen,
    r.growth_7d = row.growth_7d, r.bridge_account_ids = row.bridge_account_ids, r.active = true,
    r.detection_id = $detection_id, r.run_id = $run_id, r.retired_detection_id = null,
    r.first_detection_id = coalesce(r.first_detection_id, $detection_id)
