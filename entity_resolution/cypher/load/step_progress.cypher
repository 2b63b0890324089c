// Rows of a load step already written for a run (0 if none).
// params: $run_id (string), $step (string)
// returns: rows (int)
OPTIONAL MATCH (s:LoadStep {run_id: $run_id, step: $step})
RETURN coalesce(s.rows, 0) AS rows
