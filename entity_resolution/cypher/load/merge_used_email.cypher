// Account -> Email use, with first/last seen and the number of observations (idempotent).
// params: $rows (list of {account_id, value, first_seen, last_seen (ISO-8601 text), n, disputed}), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MERGE (i:Email {value: row.value})
SET i.run_id = $run_id
WITH row, i
MATCH (a:Account {account_id: row.account_id})
MERGE (a)-[u:USED_EMAIL]->(i)
SET u.first_seen = datetime(row.first_seen), u.last_seen = datetime(row.last_seen), u.count = row.n,
    u.disputed = row.disputed, u.run_id = $run_id
