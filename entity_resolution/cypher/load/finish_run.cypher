// Mark a run's load as complete.
// params: $run_id (string)
// returns: nothing
MATCH (r:Run {run_id: $run_id})
SET r.loaded_at = coalesce(r.loaded_at, datetime()), r.complete = true
