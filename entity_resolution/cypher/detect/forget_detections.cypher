// The Detection nodes of undone detections (last step of the undo, so a kill during the undo repeats it).
// params: $detection_ids (list of strings)
// returns: nothing
MATCH (d:Detection)
WHERE d.detection_id IN $detection_ids
DELETE d
