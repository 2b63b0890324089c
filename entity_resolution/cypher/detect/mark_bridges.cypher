// Flag the bridge entities (working property, cleared by the next detection).
// params: $nodes (list of element ids)
// returns: marked
UNWIND $nodes AS node_id
MATCH (e:Entity) WHERE elementId(e) = node_id
SET e.detect_bridge = true
RETURN count(e) AS marked
