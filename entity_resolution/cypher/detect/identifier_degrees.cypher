// Entities (and accounts) seen on each identifier as of $as_of; stores the counts on identifiers used by
// two or more entities and returns those counts (the hub threshold is chosen from them). Auto-commit.
// params: $as_of (datetime)
// returns: entity_count
MATCH (i)
WHERE (i:Device OR i:Card OR i:IP OR i:Email OR i:Phone)
  // two entities need two uses: the degree (read from the node, no walk) skips the identifiers used once, most
  // of them, before the walk to accounts and entities
  AND COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]-() } >= 2
CALL (i) {
  MATCH (i)<-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]-(a:Account)-[:MEMBER_OF]->(e:Entity)
  WHERE a.created_at <= $as_of AND u.first_seen <= $as_of
  WITH i, count(DISTINCT e) AS entities, count(DISTINCT a) AS accounts
  WHERE entities >= 2
  SET i.detect_entities = entities, i.detect_accounts = accounts
  RETURN entities
} IN TRANSACTIONS OF 10000 ROWS
RETURN entities AS entity_count
