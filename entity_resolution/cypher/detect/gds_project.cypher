// Project the detection graph (entities and the identifiers they SHARE) into GDS, undirected.
// params: $graph (string)
// returns: graph, nodes, relationships
MATCH (e:Entity)-[:SHARES]->(i)
WITH gds.graph.project($graph, e, i, {}, {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.graphName AS graph, g.nodeCount AS nodes, g.relationshipCount AS relationships
