// Incremental load: retire the accounts the previous run had and this one lacks (listed by the loader), as
// retire_absent_accounts does on a full load.
// params: $ids (list of account_id strings), $run_id (string)
// returns: retired (int)
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
WHERE a.retired_run_id IS NULL
OPTIONAL MATCH (a)-[m:MEMBER_OF]->(:Entity)
DELETE m
SET a.retired_run_id = $run_id
RETURN count(DISTINCT a) AS retired
