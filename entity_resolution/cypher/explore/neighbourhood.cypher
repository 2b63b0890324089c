// The neighbourhood of an account to depth $depth (in hops: 2 reaches the accounts that share an identifier, an
// entity, a MATCHES link or a ring with it): entities, identifiers, Splink MATCHES links (inactive ones too, as
// history) and rings. Hub identifiers (used by more than $hub_min_accounts accounts) are never expanded, the
// account's own hubs are listed in `hubs`, drawn but not followed.
// params: $account_id (string), $depth (int, 1-4), $hub_min_accounts (int, e.g. 25)
// returns: account, node_count, relationship_count, nodes (list), relationships (list), hubs (list of nodes),
//          hub_uses (list of relationships)
MATCH (account:Account {account_id: $account_id})
CALL () {
  MATCH (i:Device|Card|IP|Email|Phone)
  WHERE COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]-() } > $hub_min_accounts
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
