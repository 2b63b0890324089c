// Incremental load: retire the links the previous run had and this one lacks (listed by the loader).
// params: $rows (list of {l, r}), $run_id (string)
// returns: retired (int)
UNWIND $rows AS row
MATCH (:Account {account_id: row.l})-[m:MATCHES]->(:Account {account_id: row.r})
WHERE m.active
SET m.active = false, m.retired_run_id = $run_id
RETURN count(m) AS retired
