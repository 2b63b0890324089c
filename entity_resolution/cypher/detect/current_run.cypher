// The newest completely loaded run: the data detection works on, and its as-of.
// params: none
// returns: run_id, as_of
MATCH (r:Run)
WHERE r.complete
RETURN r.run_id AS run_id, r.as_of AS as_of
ORDER BY r.loaded_at DESC, r.run_id DESC
LIMIT 1
