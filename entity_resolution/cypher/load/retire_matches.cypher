// Links no longer predicted by this run stay in the graph as history, marked inactive with the retiring run.
// params: $run_id (string)
// returns: retired (int)
MATCH ()-[m:MATCHES]->()
WHERE m.active AND m.last_run_id <> $run_id
SET m.active = false, m.retired_run_id = $run_id
RETURN count(m) AS retired
