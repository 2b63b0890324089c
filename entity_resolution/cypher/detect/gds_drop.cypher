// Drop a projected GDS graph if it exists.
// params: $graph (string)
// returns: graph
CALL gds.graph.drop($graph, false) YIELD graphName
RETURN graphName AS graph
