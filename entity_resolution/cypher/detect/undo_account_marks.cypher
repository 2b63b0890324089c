// Undo an unfinished detection, 4 of 4: accounts it scored first are unscored again (for growth: no
// first_detection_id, no detection_id, as before it). Other signal properties stay: the next detection
// overwrites them all.
// params: $detection_ids (list of strings)
// returns: nothing
MATCH (a:Account)
WHERE a.first_detection_id IN $detection_ids
CALL (a) { REMOVE a.first_detection_id, a.detection_id } IN TRANSACTIONS OF 10000 ROWS
