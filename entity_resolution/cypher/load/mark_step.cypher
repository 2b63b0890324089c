// Record that a load step has written `rows` rows of a run (used to resume an interrupted load).
// params: $run_id (string), $step (string), $rows (int)
// returns: nothing
MATCH (r:Run {run_id: $run_id})
MERGE (s:LoadStep {run_id: $run_id, step: $step})
SET s.rows = $rows
MERGE (r)-[:HAS_STEP]->(s)
