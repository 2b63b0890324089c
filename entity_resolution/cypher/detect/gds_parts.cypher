// Ring parts (GDS WCC on the detection graph without bridge entities). A part's id is "P-" + the hex of its
// smallest entity id; nodes get the id and the part's entity count.
// params: $graph (string)
// returns: parts
CALL gds.wcc.stream($graph) YIELD nodeId, componentId
WITH componentId, collect(gds.util.asNode(nodeId)) AS nodes
WITH nodes, [n IN nodes WHERE n:Entity | n.entity_id] AS ents
WITH nodes, size(ents) AS k, reduce(m = head(ents), x IN ents | CASE WHEN x < m THEN x ELSE m END) AS anchor
WITH nodes, k, 'P-' + CASE WHEN anchor STARTS WITH 'E-' THEN substring(anchor, 2) ELSE anchor END AS pid
UNWIND nodes AS n
SET n.detect_part = pid, n.detect_part_entities = k
RETURN count(DISTINCT pid) AS parts
