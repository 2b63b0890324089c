// Remove the ring memberships of earlier detections, once this one is complete (auto-commit, batched).
// params: $detection_id (string)
// returns: nothing
MATCH (:Account)-[m:IN_RING]->(:Ring)
WHERE m.detection_id <> $detection_id
CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS
