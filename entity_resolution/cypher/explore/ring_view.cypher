// A ring drawn to be read at a glance (the graph view; ring_members.cypher is its table). Drawn: the Ring, its
// member accounts, the identifiers at least two members use (hub identifiers, labelled Hub by detection, left
// out), entities only when they hold two or more members (a one-account entity is folded into its account), and
// for each bridge member its links into neighbouring rings: the identifier it shares with a member of another
// active ring, that account and that Ring. Node budget: at most 2 x accounts + 20 nodes (docs/investigators.md).
// params: $ring_id (string)
// returns: ring_id, accounts, shown_nodes, shared_identifiers (list of "Label value: N members"),
//          neighbouring_rings, nodes, relationships (one row)
MATCH (ring:Ring {ring_id: $ring_id})<-[in_ring:IN_RING]-(a:Account)
WITH ring, collect(a) AS members, collect(in_ring) AS in_rings
CALL (members) {
  UNWIND members AS a
  MATCH (a)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->(i)
  WHERE NOT i:Hub
  WITH i, collect(u) AS uses, count(DISTINCT a) AS users
  WHERE users >= 2
  ORDER BY users DESC
  RETURN collect(i) AS shared, apoc.coll.flatten(collect(uses)) AS shared_uses,
         collect(labels(i)[0] + ' ' + coalesce(i.device_id, i.fingerprint, i.address, i.value) + ': ' +
                 users + ' members') AS shared_identifiers
}
CALL (members) {
  UNWIND members AS a
  MATCH (a)-[m:MEMBER_OF]->(e:Entity)
  WHERE e.size >= 2
  RETURN collect(DISTINCT e) AS entities, collect(m) AS member_of
}
CALL (ring, members) {
  MATCH (a:Account)
  WHERE a.account_id IN coalesce(ring.bridge_account_ids, []) OR (a IN members AND a.is_bridge)
  MATCH (a)-[u:USED_DEVICE|USED_CARD|USED_IP]->(i)<-[v:USED_DEVICE|USED_CARD|USED_IP]-(o:Account)
        -[o_in:IN_RING]->(other:Ring)
  WHERE other <> ring AND other.active AND NOT i:Hub
  WITH a, u, i, other, head(collect({o: o, v: v, o_in: o_in})) AS via
  RETURN collect(DISTINCT a) AS bridges, collect(DISTINCT i) AS bridge_ids, collect(u) AS bridge_uses,
         collect(DISTINCT via.o) AS neighbours,
         collect(via.v) + collect(via.o_in) AS neighbour_rels, collect(DISTINCT other) AS other_rings
}
WITH ring, members, in_rings, shared, shared_uses, shared_identifiers, entities, member_of,
     bridges, bridge_ids, bridge_uses, neighbours, neighbour_rels, other_rings
WITH ring, members, shared_identifiers, other_rings,
     [ring] + members + shared + entities + bridges + bridge_ids + neighbours + other_rings AS nodes,
     in_rings + shared_uses + member_of + bridge_uses + neighbour_rels AS relationships
RETURN ring.ring_id AS ring_id, size(members) AS accounts, size(apoc.coll.toSet(nodes)) AS shown_nodes,
       shared_identifiers, [r IN other_rings | r.ring_id] AS neighbouring_rings,
       apoc.coll.toSet(nodes) AS nodes, apoc.coll.toSet(relationships) AS relationships
