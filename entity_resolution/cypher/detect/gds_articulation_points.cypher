// Bridge candidates with GDS: articulation points of the detection graph in components big enough to split
// into two parts of the minimum size.
// params: $graph (string), $min_entities (int)
// returns: node_id
CALL gds.articulationPoints.stream($graph) YIELD nodeId
WITH gds.util.asNode(nodeId) AS v
WHERE v.detect_component_entities >= $min_entities
RETURN elementId(v) AS node_id
