// The run whose load completed last: an incremental load (`er load --since`) must build on it, and a run
// hashed under another pseudonym key (or not hashed) must not be loaded over it.
// params: none
// returns: run_id (string), manifest (string, JSON)
MATCH (r:Run) WHERE r.complete
RETURN r.run_id AS run_id, r.manifest AS manifest
ORDER BY r.loaded_at DESC
LIMIT 1
