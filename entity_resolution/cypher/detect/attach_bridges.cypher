// A bridge entity joins the neighbouring part it shares most identifiers with (ties: the part with more
// entities, then the smaller part id).
// params: none
// returns: attached
MATCH (b:Entity)-[:SHARES]->(i)
WHERE b.detect_bridge = true AND i.detect_part IS NOT NULL
WITH b, i.detect_part AS part, i.detect_part_entities AS size, count(i) AS links
ORDER BY links DESC, size DESC, part ASC
WITH b, collect(part)[0] AS best
SET b.detect_part = best
RETURN count(b) AS attached
