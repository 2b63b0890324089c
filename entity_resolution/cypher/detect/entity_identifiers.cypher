// Entities linked by this detection's SHARES links: how many distinct identifiers their accounts used as of
// $as_of, and how many of them no other entity used (identifier_degrees marks those of two or more entities
// with detect_entities). The evidence rules weigh these (detect/evidence.py).
// params: $as_of (datetime), $detection_id (string)
// returns: entity_id, identifier_count, private_count
MATCH (e:Entity)
WHERE EXISTS { (e)-[:SHARES {detection_id: $detection_id}]->() }
CALL (e) {
  MATCH (e)<-[:MEMBER_OF]-(a:Account)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->(i)
  WHERE a.created_at <= $as_of AND u.first_seen <= $as_of
  WITH DISTINCT i
  RETURN count(i) AS identifier_count, count(CASE WHEN i.detect_entities IS NULL THEN 1 END) AS private_count
}
RETURN e.entity_id AS entity_id, identifier_count, private_count
ORDER BY entity_id
