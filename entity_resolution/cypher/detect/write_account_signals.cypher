// Signal properties on accounts and their ring membership, tagged with the detection and run ids.
// params: $rows (list of signal maps), $detection_id (string), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
SET a.component_id = row.component_id, a.component_size = row.component_size, a.ring_id = row.ring_id,
    a.ring_size = row.ring_size, a.shared_identifier_count = row.shared_identifier_count,
    a.is_bridge = row.is_bridge, a.growth_7d = row.growth_7d, a.fast_growing = row.fast_growing,
    a.risk_score = row.risk_score, a.risk_reasons = row.reasons, a.detection_id = $detection_id,
    a.detection_run_id = $run_id, a.first_detection_id = coalesce(a.first_detection_id, $detection_id)
WITH a, row
WHERE row.ring_id IS NOT NULL
MATCH (r:Ring {ring_id: row.ring_id})
CREATE (a)-[:IN_RING {detection_id: $detection_id}]->(r)
