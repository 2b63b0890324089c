// Nodes and relationships in the database (from the count store: cheap at any size).
// params: none
// returns: nodes (int), relationships (int)
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
