// Ring parts without GDS: components once bridge entities are removed (APOC walk with the bridges
// blacklisted); "P-" + the hex of the smallest entity id. Auto-commit.
// params: none
// returns: nothing
OPTIONAL MATCH (b:Entity) WHERE b.detect_bridge = true
WITH collect(b) AS bridges
MATCH (e:Entity)
WHERE e.detect_component IS NOT NULL AND e.detect_bridge IS NULL
CALL (e, bridges) {
  CALL apoc.path.subgraphNodes(e, {relationshipFilter: 'SHARES', blacklistNodes: bridges}) YIELD node
  WITH e, [n IN collect(node) WHERE n:Entity | n.entity_id] AS ents
  WITH e, size(ents) AS k, reduce(m = head(ents), x IN ents | CASE WHEN x < m THEN x ELSE m END) AS anchor
  WITH e, k, 'P-' + CASE WHEN anchor STARTS WITH 'E-' THEN substring(anchor, 2) ELSE anchor END AS pid
  SET e.detect_part = pid, e.detect_part_entities = k
  WITH e, pid, k
  MATCH (e)-[:SHARES]->(i)
  SET i.detect_part = pid, i.detect_part_entities = k
} IN TRANSACTIONS OF 1000 ROWS
