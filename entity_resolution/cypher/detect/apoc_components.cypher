// Components without GDS: each entity walks its component with APOC and takes "C-" + the hex of the
// smallest entity id found; its identifiers get the same id. Auto-commit.
// params: none
// returns: nothing
MATCH (e:Entity)
WHERE EXISTS { (e)-[:SHARES]->() }
CALL (e) {
  CALL apoc.path.subgraphNodes(e, {relationshipFilter: 'SHARES'}) YIELD node
  WITH e, [n IN collect(node) WHERE n:Entity | n.entity_id] AS ents
  WITH e, size(ents) AS k, reduce(m = head(ents), x IN ents | CASE WHEN x < m THEN x ELSE m END) AS anchor
  WITH e, k, 'C-' + CASE WHEN anchor STARTS WITH 'E-' THEN substring(anchor, 2) ELSE anchor END AS cid
  SET e.detect_component = cid, e.detect_component_entities = k
  WITH e, cid, k
  MATCH (e)-[:SHARES]->(i)
  SET i.detect_component = cid, i.detect_component_entities = k
} IN TRANSACTIONS OF 1000 ROWS
