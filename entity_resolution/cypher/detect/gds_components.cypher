// Components (GDS WCC) of the projected detection graph. A component's id is "C-" + the hex of its smallest
// entity id; every node gets the id and the component's entity count.
// params: $graph (string)
// returns: components
CALL gds.wcc.stream($graph) YIELD nodeId, componentId
WITH componentId, collect(gds.util.asNode(nodeId)) AS nodes
WITH nodes, [n IN nodes WHERE n:Entity | n.entity_id] AS ents
WITH nodes, size(ents) AS k, reduce(m = head(ents), x IN ents | CASE WHEN x < m THEN x ELSE m END) AS anchor
WITH nodes, k, 'C-' + CASE WHEN anchor STARTS WITH 'E-' THEN substring(anchor, 2) ELSE anchor END AS cid
UNWIND nodes AS n
SET n.detect_component = cid, n.detect_component_entities = k
RETURN count(DISTINCT cid) AS components
