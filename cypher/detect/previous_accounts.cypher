// Accounts scored by the last detection written to the graph (for growth between detections).
// params: none
// returns: account_id
MATCH (a:Account)
WHERE a.detection_id IS NOT NULL
RETURN a.account_id AS account_id
