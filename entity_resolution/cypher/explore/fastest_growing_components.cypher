// The fastest-growing active rings: most accounts created in the $days days up to the as_of of the newest
// completely loaded Run. Before detection has written Ring nodes (or when none is active), components of
// accounts joined through shared devices, cards and IPs instead (identifiers used by hubs (label Hub from the last
// completed detection) are not followed, and a component's id is its smallest account_id).
// params: $days (int, e.g. 7), $limit (int)
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
    // hubs as the last completed detection marked them (label Hub); before any detection, identifiers on more
    // accounts than the newest complete run's hub_min_accounts (the threshold resolution used)
    OPTIONAL MATCH (run:Run)
    WHERE run.complete
    WITH run ORDER BY run.loaded_at DESC, run.run_id DESC LIMIT 1
    OPTIONAL MATCH (d:Detection)
    WHERE d.complete
    WITH apoc.convert.fromJsonMap(coalesce(run.manifest, '{}')).thresholds.hub_min_accounts AS run_hub_min,
         count(d) > 0 AS detected
    MATCH (i:Device|Card|IP)
    WHERE CASE WHEN detected THEN i:Hub ELSE COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP]-() } > run_hub_min END
    RETURN collect(i) AS hubs
  }
  MATCH (i:Device|Card|IP)
  WHERE COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP]-() } >= 2 AND NOT i IN hubs
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
