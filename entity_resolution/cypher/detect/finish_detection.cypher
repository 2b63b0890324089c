// A detection's write-back is complete: its rings and memberships are now the previous detection of the next.
// params: $detection_id (string)
// returns: nothing
MATCH (d:Detection {detection_id: $detection_id})
SET d.complete = true, d.finished_at = datetime()
