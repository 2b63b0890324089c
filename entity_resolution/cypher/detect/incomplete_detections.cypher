// Detections whose write-back never finished (the server or the client died half-way).
// params: none
// returns: detection_id
MATCH (d:Detection)
WHERE NOT d.complete
RETURN d.detection_id AS detection_id
