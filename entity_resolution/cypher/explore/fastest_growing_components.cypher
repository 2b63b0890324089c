// The fastest-growing active rings: most accounts created in the $days days up to the as_of of the newest
// completely loaded Run. Before detection has written Ring nodes (or when none is active), components of
// accounts joined through shared devices, cards and IPs instead (identifiers used by more than
// $hub_min_accounts accounts are not followed, and a component's id is its smallest account_id).
// params: $days (int, e.g. 7), $hub_min_accounts (int, e.g. 25), $limit (int)
// returns: component_id, kind ('ring' or 'component'), as_of, accounts, new_accounts, accounts_before,
//          first_new, last_new, new_account_ids (up to 10)
MATCH (run:Run)
WHERE run.complete
WITH run ORDER BY run.loaded_at DESC, run.run_id DESC LIMIT 1
WITH run.as_of AS as_of, run.as_of - duration({days: $days}) AS since
CALL () {
  MATCH (ring:Ring)<-[:IN_RING]-(a:Account)
  WHERE coalesce(ring.active, true)
  RETURN ring.ring_id AS component_id, 'ring' AS kind, collect(a) AS members
  UNION ALL
  OPTIONAL MATCH (ring:Ring)
  WHERE coalesce(ring.active, true)
  WITH count(ring) AS rings
  WHERE rings = 0
  CALL () {
    MATCH (i:Device|Card|IP)
    WHERE COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP]-() } > $hub_min_accounts
    RETURN collect(i) AS hubs
  }
  MATCH (i:Device|Card|IP)
  WHERE 2 <= COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP]-() } <= $hub_min_accounts
  MATCH (i)<-[:USED_DEVICE|USED_CARD|USED_IP]-(seed:Account)
  WITH DISTINCT seed, hubs
  CALL apoc.path.subgraphNodes(seed, {
    relationshipFilter: 'USED_DEVICE|USED_CARD|USED_IP', denylistNodes: hubs
  }) YIELD node
  WITH seed, [n IN collect(node) WHERE n:Account] AS members
  WHERE all(m IN members WHERE seed.account_id <= m.account_id)
  RETURN seed.account_id AS component_id, 'component' AS kind, members
}
WITH component_id, kind, as_of, members,
     [m IN members WHERE since < m.created_at <= as_of] AS new_members
WHERE size(new_members) > 0
WITH component_id, kind, as_of, size(members) AS accounts, size(new_members) AS new_accounts, new_members
ORDER BY new_accounts DESC, accounts, component_id
LIMIT toInteger($limit)
RETURN component_id, kind, as_of, accounts, new_accounts, accounts - new_accounts AS accounts_before,
       reduce(t = null, m IN new_members | CASE WHEN t IS NULL OR m.created_at < t THEN m.created_at ELSE t END)
         AS first_new,
       reduce(t = null, m IN new_members | CASE WHEN t IS NULL OR m.created_at > t THEN m.created_at ELSE t END)
         AS last_new,
       [m IN new_members | m.account_id][..10] AS new_account_ids
ORDER BY new_accounts DESC, accounts, component_id
