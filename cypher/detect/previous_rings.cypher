// Rings of the last detection written to the graph, with their member accounts (for stable ring ids).
// params: none
// returns: ring_id, account_ids
MATCH (a:Account)-[:IN_RING]->(r:Ring)
WHERE r.active
RETURN r.ring_id AS ring_id, collect(a.account_id) AS account_ids
