// Erasure: tombstones are merged on the id's hash; a uniqueness constraint keeps that a lookup, not a scan.
// Idempotent; a schema statement, so it runs in its own transaction before the erasure.
// params: none
// returns: nothing
CREATE CONSTRAINT tombstone_account_sha256 IF NOT EXISTS FOR (t:Tombstone) REQUIRE t.account_sha256 IS UNIQUE
