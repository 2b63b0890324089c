// Rings not found by this detection stay as history, inactive, with the detection that retired them.
// params: $detection_id (string)
// returns: retired
MATCH (r:Ring)
WHERE r.active AND r.detection_id <> $detection_id
SET r.active = false, r.retired_detection_id = $detection_id
RETURN count(r) AS retired
