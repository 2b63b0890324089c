// Erasure: delete the forgotten Account nodes with all their relationships (entity membership, MATCHES links,
// identifier uses, ring membership); returns the entities they were in, to resize or remove.
// params: $ids (list of account_id strings)
// returns: deleted (int), entity_ids (list)
MATCH (a:Account)
WHERE a.account_id IN $ids
OPTIONAL MATCH (a)-[:MEMBER_OF]->(e:Entity)
WITH a, e.entity_id AS entity_id
DETACH DELETE a
RETURN count(a) AS deleted, collect(DISTINCT entity_id) AS entity_ids
