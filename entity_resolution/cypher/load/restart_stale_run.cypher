// A complete run loaded again after another run was loaded: its load starts over (every step rewrites its
// rows), so the graph becomes this run's again instead of skipping everything as "already loaded". Loading
// the graph's latest run again stays a no-op, and an interrupted load still resumes.
// params: $run_id (string)
// returns: restarted (int)
MATCH (r:Run {run_id: $run_id})
WHERE r.complete AND EXISTS { MATCH (later:Run) WHERE later.complete AND later.loaded_at > r.loaded_at }
SET r.complete = false, r.loaded_at = null
FOREACH (s IN [(r)-[:HAS_STEP]->(x:LoadStep) | x] | SET s.rows = 0)
RETURN count(r) AS restarted
