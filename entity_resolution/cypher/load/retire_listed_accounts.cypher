// Incremental load: retire the accounts the previous run had and this one lacks (listed by the loader), as
// retire_absent_accounts does on a full load. Auto-commit, in batches.
// params: $ids (list of account_id strings), $run_id (string)
// returns: retired (int)
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
WHERE a.retired_run_id IS NULL
CALL (a) {
  OPTIONAL MATCH (a)-[m:MEMBER_OF]->(:Entity)
  DELETE m
  SET a.retired_run_id = $run_id
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(a) AS retired
