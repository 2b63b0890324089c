// A detection's write-back starts: until finish_detection marks it complete, what it wrote is provisional and
// the next detection undoes it (undo_* files) instead of reading it as the previous detection.
// params: $detection_id (string), $run_id (string)
// returns: nothing
MERGE (d:Detection {detection_id: $detection_id})
SET d.run_id = $run_id, d.started_at = datetime(), d.complete = false
