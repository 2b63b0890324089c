// Erasure: one Tombstone per forgotten account, holding the SHA-256 of its id (never the id), when and why.
// params: $rows (list of {account_sha256, forgotten_at (ISO-8601 text), reason})
// returns: tombstones (int)
UNWIND $rows AS row
MERGE (t:Tombstone {account_sha256: row.account_sha256})
ON CREATE SET t.forgotten_at = datetime(row.forgotten_at), t.reason = row.reason
RETURN count(t) AS tombstones
