// Entities linked by this detection's SHARES links: how many distinct identifiers their accounts used as of
// $as_of (the associate rule of detect/evidence.py weighs the share of them a group holds). One record of
// columns (lists in entity_id order).
// params: $as_of (datetime), $detection_id (string)
// returns: entity_id, identifier_count (each a list)
MATCH (e:Entity)
WHERE EXISTS { (e)-[:SHARES {detection_id: $detection_id}]->() }
CALL (e) {
  MATCH (e)<-[:MEMBER_OF]-(a:Account)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->(i)
  WHERE a.created_at <= $as_of AND u.first_seen <= $as_of
  RETURN count(DISTINCT i) AS identifier_count
}
WITH e.entity_id AS entity_id, identifier_count
ORDER BY entity_id
RETURN collect(entity_id) AS entity_id, collect(identifier_count) AS identifier_count
