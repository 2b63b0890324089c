// Undo an unfinished detection, 2 of 4: the rings it created (first found by it) are removed.
// params: $detection_ids (list of strings)
// returns: nothing
MATCH (r:Ring)
WHERE r.first_detection_id IN $detection_ids
CALL (r) { DETACH DELETE r } IN TRANSACTIONS OF 10000 ROWS
