// For each bridge node: the accounts (as of $as_of) of the bridge entities it is or touches, and the ring
// parts next to it.
// params: $nodes (list of element ids), $as_of (datetime)
// returns: node_id, account_ids, part_ids
UNWIND $nodes AS node_id
MATCH (v) WHERE elementId(v) = node_id
WITH node_id, v, [v] + [(v)-[:SHARES]-(n) | n] AS around
WITH node_id, around, [n IN around WHERE n:Entity AND n.detect_bridge = true] AS bridges
RETURN node_id,
       apoc.coll.sort(apoc.coll.flatten([b IN bridges |
         [(b)<-[:MEMBER_OF]-(a:Account) WHERE a.created_at <= $as_of | a.account_id]])) AS account_ids,
       apoc.coll.sort(apoc.coll.toSet([n IN around WHERE n.detect_part IS NOT NULL | n.detect_part])) AS part_ids
