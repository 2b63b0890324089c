// Accounts scored by a complete detection written to the graph (for growth between detections); those only
// an unfinished detection scored do not count. Before Detection nodes existed: every account with signals.
// params: none
// returns: account_id
OPTIONAL MATCH (d:Detection) WHERE d.complete
WITH collect(d.detection_id) AS done
MATCH (a:Account)
WHERE a.first_detection_id IN done OR (a.first_detection_id IS NULL AND a.detection_id IS NOT NULL)
RETURN a.account_id AS account_id
