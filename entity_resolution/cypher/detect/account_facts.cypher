// One row per account created by $as_of: its entity, newest identifier use (or sign-up), component, shared
// identifier count, and what its entity looks like (accounts, distinct e-mails, disputed payments).
// params: $as_of (datetime)
// returns: account_id, entity_id, created_at, last_seen, component_id, shared_identifier_count, entity_accounts, entity_emails, entity_disputed
MATCH (a:Account)-[:MEMBER_OF]->(e:Entity)
WHERE a.created_at <= $as_of
CALL (e) {
  MATCH (e)<-[:MEMBER_OF]-(b:Account)
  WHERE b.created_at <= $as_of
  OPTIONAL MATCH (b)-[u:USED_EMAIL|USED_CARD]->(i)
  WHERE u.first_seen <= $as_of
  RETURN count(DISTINCT b) AS entity_accounts,
         count(DISTINCT CASE WHEN i:Email THEN i END) AS entity_emails,
         coalesce(sum(CASE WHEN i:Card THEN u.disputed END), 0) AS entity_disputed
}
CALL (a) {
  OPTIONAL MATCH (a)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->()
  WHERE u.first_seen <= $as_of
  RETURN max(u.last_seen) AS used
}
RETURN a.account_id AS account_id, e.entity_id AS entity_id, a.created_at AS created_at,
       CASE WHEN used IS NULL OR a.created_at > used THEN a.created_at ELSE used END AS last_seen,
       coalesce(e.detect_component,
                'C-' + CASE WHEN e.entity_id STARTS WITH 'E-' THEN substring(e.entity_id, 2) ELSE e.entity_id END)
         AS component_id,
       COUNT { (a)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->(i)
               WHERE u.first_seen <= $as_of AND (e)-[:SHARES]->(i) } AS shared_identifier_count,
       entity_accounts, entity_emails, entity_disputed
ORDER BY account_id
