// Undo an unfinished detection, 3 of 4: rings it retired are active again (run after undo_rings).
// params: $detection_ids (list of strings)
// returns: nothing
MATCH (r:Ring)
WHERE r.retired_detection_id IN $detection_ids
SET r.active = true, r.retired_detection_id = null
