// Project the detection graph (entities and the identifiers they SHARE) into GDS, undirected. With
// $exclude_bridges the bridge entities are left out: the components of that graph are the ring parts.
// params: $graph (string), $exclude_bridges (boolean)
// returns: graph, nodes, relationships
MATCH (e:Entity)-[:SHARES]->(i)
WHERE NOT ($exclude_bridges AND coalesce(e.detect_bridge, false))
WITH gds.graph.project($graph, e, i, {}, {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.graphName AS graph, g.nodeCount AS nodes, g.relationshipCount AS relationships
