// The identifiers that bind a ring (`er explain --ring` without Neo4j): each identifier two or more members used,
// with the members it touches, how many accounts of the whole graph use it and whether detection calls it a hub
// (label Hub: carrier-NAT IPs, default device ids, test cards bind nothing). Most-shared first.
// params: $ring_id (string)
// returns: kind, value, members_touched, member_ids, member_entities, accounts_using, hub, first_member_created,
//          last_member_created
MATCH (ring:Ring {ring_id: $ring_id})<-[:IN_RING]-(m:Account)
MATCH (m)-[:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]->(i)
WITH ring, i, collect(DISTINCT m) AS members
WHERE size(members) >= 2
CALL (members) {
  UNWIND members AS m
  OPTIONAL MATCH (m)-[:MEMBER_OF]->(e:Entity)
  RETURN count(DISTINCT e) AS member_entities, min(m.created_at) AS first_created, max(m.created_at) AS last_created
}
RETURN labels(i)[0] AS kind, coalesce(i.device_id, i.fingerprint, i.address, i.value) AS value,
       size(members) AS members_touched,
       apoc.coll.sort([m IN members | m.account_id]) AS member_ids, member_entities,
       COUNT { (i)<-[:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]-(:Account) } AS accounts_using,
       i:Hub AS hub,
       apoc.temporal.format(first_created, 'yyyy-MM-dd HH:mm') AS first_member_created,
       apoc.temporal.format(last_created, 'yyyy-MM-dd HH:mm') AS last_member_created
ORDER BY members_touched DESC, kind, value
