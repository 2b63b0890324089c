// Bridge candidates without GDS: every node with two or more SHARES links in a component big enough to
// split into two parts of the minimum size (bridge_splits keeps the real ones).
// params: $min_entities (int)
// returns: node_id
MATCH (v)-[:SHARES]-()
WHERE v.detect_component_entities >= $min_entities
WITH v, count(*) AS degree
WHERE degree >= 2
RETURN elementId(v) AS node_id
