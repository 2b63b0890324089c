// Full load: accounts of earlier runs that this run does not have (deleted on the platform, another data set)
// are retired, like links: they leave their entity (MEMBER_OF cut), so detection and every count of
// accounts through entities ignore them, and keep their properties and identifier uses as history.
// Auto-commit, in batches: a run loaded over an unrelated graph retires every account it finds.
// params: $run_id (string)
// returns: retired (int)
MATCH (a:Account)
WHERE a.run_id <> $run_id AND a.retired_run_id IS NULL
CALL (a) {
  OPTIONAL MATCH (a)-[m:MEMBER_OF]->(:Entity)
  DELETE m
  SET a.retired_run_id = $run_id
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(a) AS retired
