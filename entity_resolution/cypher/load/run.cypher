// Create or update the Run node that tags everything a run writes and records load progress.
// params: $run_id (string), $as_of (string, ISO-8601), $manifest (string, JSON), $steps (list of strings)
// returns: run_id, done_steps (list of "step:rows" entries already loaded)
MERGE (r:Run {run_id: $run_id})
ON CREATE SET r.as_of = datetime($as_of), r.manifest = $manifest, r.steps = $steps, r.done = [],
              r.started_at = datetime()
RETURN r.run_id AS run_id, r.done AS done_steps
