// The detection graph: (:Entity)-[:SHARES]->(identifier) for every identifier used by 2..$threshold
// entities as of $as_of (hubs left out). Auto-commit.
// params: $as_of (datetime), $threshold (int), $detection_id (string)
// returns: nothing
MATCH (i)
WHERE (i:Device OR i:Card OR i:IP OR i:Email OR i:Phone) AND i.detect_entities <= $threshold
CALL (i) {
  MATCH (i)<-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]-(a:Account)-[:MEMBER_OF]->(e:Entity)
  WHERE a.created_at <= $as_of AND u.first_seen <= $as_of
  WITH DISTINCT i, e
  CREATE (e)-[:SHARES {detection_id: $detection_id}]->(i)
} IN TRANSACTIONS OF 2000 ROWS
