// One row per account created by $as_of: its entity, newest identifier use (or sign-up), component, shared
// identifier count, and what its entity looks like (accounts, distinct e-mails, disputed payments).
// The entity's figures are computed once per entity (not once per account of it), and the rows come back as
// one record of columns (lists in account_id order; times as epoch microseconds): one record instead of one
// per account keeps the driver's per-record work off the critical path.
// params: $as_of (datetime)
// returns: account_id, entity_id, created_at, last_seen, component_id, shared_identifier_count, entity_accounts,
//          entity_emails, entity_disputed (each a list)
MATCH (e:Entity)<-[:MEMBER_OF]-(a:Account)
WHERE a.created_at <= $as_of
WITH e, collect(DISTINCT a) AS members
CALL (e, members) {
  UNWIND members AS b
  OPTIONAL MATCH (b)-[u:USED_EMAIL|USED_CARD]->(i)
  WHERE u.first_seen <= $as_of
  RETURN count(DISTINCT CASE WHEN i:Email THEN i END) AS entity_emails,
         coalesce(sum(CASE WHEN i:Card THEN u.disputed END), 0) AS entity_disputed
}
WITH e, members, size(members) AS entity_accounts, entity_emails, entity_disputed,
     coalesce(e.detect_component,
              'C-' + CASE WHEN e.entity_id STARTS WITH 'E-' THEN substring(e.entity_id, 2) ELSE e.entity_id END)
       AS component_id
UNWIND members AS a
CALL (a) {
  OPTIONAL MATCH (a)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->()
  WHERE u.first_seen <= $as_of
  RETURN max(u.last_seen) AS used
}
WITH a.account_id AS account_id, e.entity_id AS entity_id, a.created_at AS created_at,
     CASE WHEN used IS NULL OR a.created_at > used THEN a.created_at ELSE used END AS last_seen, component_id,
     COUNT { (a)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->(i)
             WHERE u.first_seen <= $as_of AND (e)-[:SHARES]->(i) } AS shared_identifier_count,
     entity_accounts, entity_emails, entity_disputed
ORDER BY account_id
RETURN collect(account_id) AS account_id, collect(entity_id) AS entity_id,
       collect(created_at.epochSeconds * 1000000 + created_at.microsecond) AS created_at,
       collect(last_seen.epochSeconds * 1000000 + last_seen.microsecond) AS last_seen,
       collect(component_id) AS component_id, collect(shared_identifier_count) AS shared_identifier_count,
       collect(entity_accounts) AS entity_accounts, collect(entity_emails) AS entity_emails,
       collect(entity_disputed) AS entity_disputed
