// The enforcement decision each scored account had as of the detection's as-of (er detect --labels), written
// with the marks so the members table can show which accounts were already decided: label_decision
// ('abusive' or 'benign', as detection read it: an overturned appeal is benign) and label_origin (as given).
// params: $rows (list of {account_id, decision, origin}), $detection_id (string)
// returns: nothing
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
SET a.label_decision = row.decision, a.label_origin = row.origin, a.label_detection_id = $detection_id
