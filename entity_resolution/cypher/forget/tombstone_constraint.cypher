// Erasure: tombstones are merged on the id's hash; a uniqueness constraint keeps that a lookup, not a scan.
// Also in schema/v1 (every load and bulk import applies it); kept here so `er forget` on a graph loaded by an
// older version has it too. Idempotent; a schema statement, so it runs in its own transaction before the erasure.
// params: none
// returns: nothing
CREATE CONSTRAINT tombstone_account_sha256 IF NOT EXISTS FOR (t:Tombstone) REQUIRE t.account_sha256 IS UNIQUE
