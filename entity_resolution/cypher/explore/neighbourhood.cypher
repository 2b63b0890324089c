// The neighbourhood of an account to depth $depth (in hops: 2 reaches the accounts that share an identifier, an
// entity, a MATCHES link or a ring with it): entities, identifiers, Splink MATCHES links (inactive ones too, as
// history) and rings. Hub identifiers (used by hubs (label Hub from the last completed detection)) are never expanded, the
// account's own hubs are listed in `hubs`, drawn but not followed.
// params: $account_id (string), $depth (int, 1-4)
// returns: account, node_count, relationship_count, nodes (list), relationships (list), hubs (list of nodes),
//          hub_uses (list of relationships)
MATCH (account:Account {account_id: $account_id})
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
  MATCH (i:Device|Card|IP|Email|Phone)
  WHERE CASE WHEN detected THEN i:Hub ELSE COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]-() } > run_hub_min END
  RETURN collect(i) AS hubs
}
CALL apoc.path.subgraphAll(account, {
  maxLevel: toInteger($depth),
  relationshipFilter: 'MEMBER_OF|USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP|MATCHES|IN_RING',
  denylistNodes: hubs
}) YIELD nodes, relationships
// subgraphAll also returns relationships of other types between the nodes found (detection's SHARES): drop them
WITH account, hubs, nodes,
     [r IN relationships WHERE type(r) IN ['MEMBER_OF', 'USED_EMAIL', 'USED_PHONE', 'USED_DEVICE', 'USED_CARD',
                                           'USED_IP', 'MATCHES', 'IN_RING']] AS relationships
CALL (account, hubs) {
  OPTIONAL MATCH (account)-[use]->(hub)
  WHERE hub IN hubs
  RETURN collect(hub) AS own_hubs, collect(use) AS hub_uses
}
RETURN account, size(nodes) AS node_count, size(relationships) AS relationship_count, nodes, relationships,
       own_hubs AS hubs, hub_uses
