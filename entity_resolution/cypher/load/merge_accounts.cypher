// Accounts of a run (idempotent). An account an earlier load retired (absent from that run) is current again.
// params: $rows (list of {account_id, created_at (ISO-8601 text), country, email_disposable}), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a.created_at = datetime(row.created_at), a.country = row.country,
    a.email_disposable = row.email_disposable, a.run_id = $run_id, a.retired_run_id = null
