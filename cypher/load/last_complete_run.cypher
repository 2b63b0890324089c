// The run whose load completed last: an incremental load (`er load --since`) must build on it.
// params: none
// returns: run_id (string)
MATCH (r:Run) WHERE r.complete
RETURN r.run_id AS run_id
ORDER BY r.loaded_at DESC
LIMIT 1
