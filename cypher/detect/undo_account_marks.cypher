// Undo an unfinished detection, 4 of 4: accounts it scored first count as unscored again (for growth). Its
// signal properties on accounts and entities stay: the next detection overwrites them all.
// params: $detection_ids (list of strings)
// returns: nothing
MATCH (a:Account)
WHERE a.first_detection_id IN $detection_ids
CALL (a) { REMOVE a.first_detection_id } IN TRANSACTIONS OF 10000 ROWS
