// Schema v1: uniqueness constraints and indexes. Idempotent (IF NOT EXISTS); one statement per line group.
// params: none
// returns: nothing
CREATE CONSTRAINT account_id IF NOT EXISTS FOR (n:Account) REQUIRE n.account_id IS UNIQUE;
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.entity_id IS UNIQUE;
CREATE CONSTRAINT email_value IF NOT EXISTS FOR (n:Email) REQUIRE n.value IS UNIQUE;
CREATE CONSTRAINT phone_value IF NOT EXISTS FOR (n:Phone) REQUIRE n.value IS UNIQUE;
CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.device_id IS UNIQUE;
CREATE CONSTRAINT card_fingerprint IF NOT EXISTS FOR (n:Card) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT ip_address IF NOT EXISTS FOR (n:IP) REQUIRE n.address IS UNIQUE;
CREATE CONSTRAINT ip_prefix IF NOT EXISTS FOR (n:IPPrefix) REQUIRE n.prefix IS UNIQUE;
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.run_id IS UNIQUE;
CREATE CONSTRAINT ring_id IF NOT EXISTS FOR (n:Ring) REQUIRE n.ring_id IS UNIQUE;
CREATE CONSTRAINT detection_id IF NOT EXISTS FOR (n:Detection) REQUIRE n.detection_id IS UNIQUE;
CREATE CONSTRAINT tombstone_account_sha256 IF NOT EXISTS FOR (t:Tombstone) REQUIRE t.account_sha256 IS UNIQUE;
CREATE INDEX load_step IF NOT EXISTS FOR (n:LoadStep) ON (n.run_id, n.step);
CREATE CONSTRAINT schema_version IF NOT EXISTS FOR (n:SchemaVersion) REQUIRE n.version IS UNIQUE;
CREATE INDEX account_run IF NOT EXISTS FOR (n:Account) ON (n.run_id);
CREATE INDEX match_last_run IF NOT EXISTS FOR ()-[r:MATCHES]-() ON (r.last_run_id);
CREATE INDEX member_run IF NOT EXISTS FOR ()-[r:MEMBER_OF]-() ON (r.run_id);
MERGE (v:SchemaVersion {version: 1}) ON CREATE SET v.applied_at = datetime()
