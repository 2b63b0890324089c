// For each candidate node, the parts its removal leaves (APOC walks from each neighbour with the node
// blacklisted); returns the nodes leaving at least two parts of $min_part entities, with the part sizes
// (largest first) and the identifiers linking an entity bridge to the qualifying parts.
// params: $nodes (list of element ids), $min_part (int)
// returns: node_id, kind, value, component_id, split_sizes, via
UNWIND $nodes AS node_id
MATCH (v) WHERE elementId(v) = node_id
MATCH (v)-[:SHARES]-(n)
CALL apoc.path.subgraphNodes(n, {relationshipFilter: 'SHARES', blacklistNodes: [v]}) YIELD node
WITH v, n, [x IN collect(node) WHERE x:Entity | x.entity_id] AS ents
WITH v, n, size(ents) AS size, reduce(m = head(ents), x IN ents | CASE WHEN x < m THEN x ELSE m END) AS part
WITH v, part, size, collect(n) AS via
WITH v, collect({part: part, size: size, via: via}) AS parts
WHERE size([p IN parts WHERE p.size >= $min_part]) >= 2
WITH v, parts,
     CASE WHEN v:Entity THEN 'entity' WHEN v:Device THEN 'device' WHEN v:Card THEN 'card' WHEN v:IP THEN 'ip'
          WHEN v:Email THEN 'email' ELSE 'phone' END AS kind
WITH v, kind, parts,
     CASE WHEN kind = 'entity' THEN [p IN parts WHERE p.size >= $min_part | p.via] ELSE [[v]] END AS links
RETURN elementId(v) AS node_id, kind,
       coalesce(v.entity_id, v.device_id, v.fingerprint, v.address, v.value) AS value,
       v.detect_component AS component_id,
       reverse(apoc.coll.sort([p IN parts | p.size])) AS split_sizes,
       apoc.coll.sort([i IN apoc.coll.flatten(links) |
         CASE WHEN i:Device THEN 'device:' + i.device_id WHEN i:Card THEN 'card:' + i.fingerprint
              WHEN i:IP THEN 'ip:' + i.address WHEN i:Email THEN 'email:' + i.value
              ELSE 'phone:' + i.value END]) AS via
