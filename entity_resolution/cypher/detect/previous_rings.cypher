// Rings of the last complete detection written to the graph, with their members (for stable ring ids). Read
// by that detection's id on IN_RING, so a detection that died half-way through its write-back changes nothing
// here. A graph written before Detection nodes existed: the active rings.
// params: none
// returns: ring_id, account_ids
OPTIONAL MATCH (d:Detection) WHERE d.complete
WITH d ORDER BY d.finished_at DESC LIMIT 1
WITH d.detection_id AS last, COUNT { (:Detection) } AS detections
MATCH (a:Account)-[m:IN_RING]->(r:Ring)
WHERE m.detection_id = last OR (detections = 0 AND r.active)
RETURN r.ring_id AS ring_id, collect(a.account_id) AS account_ids
