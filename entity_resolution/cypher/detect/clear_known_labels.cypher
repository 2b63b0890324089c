// Take off the point-in-time decisions an earlier detection wrote (write_known_labels), before this one writes
// its own: an account keeps a decision only while the latest detection was given it.
// params: none
// returns: nothing
MATCH (a:Account)
WHERE a.label_decision IS NOT NULL
REMOVE a.label_decision, a.label_origin, a.label_detection_id
