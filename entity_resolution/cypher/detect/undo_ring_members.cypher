// Undo an unfinished detection, 1 of 4: the ring memberships it created (auto-commit, batched).
// params: $detection_ids (list of strings)
// returns: nothing
MATCH (:Account)-[m:IN_RING]->(:Ring)
WHERE m.detection_id IN $detection_ids
CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS
