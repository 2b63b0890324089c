// The largest active rings, biggest first. Before detection has written Ring nodes (or when none is active),
// the largest components of accounts joined through shared devices, cards and IPs instead (identifiers used by
// hubs (label Hub from the last completed detection) are not followed). A component's id is its smallest account_id, which
// the ring query accepts as $ring_id.
// params: $limit (int)
// returns: component_id, kind ('ring' or 'component'), accounts, entities, shared_devices, shared_cards,
//          shared_ips, first_created, last_created (date and time, UTC), sample_account_ids (up to 10)
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
WITH component_id, kind, members, size(members) AS accounts
ORDER BY accounts DESC, component_id
LIMIT toInteger($limit)
CALL (members) {
  UNWIND members AS m
  OPTIONAL MATCH (m)-[:MEMBER_OF]->(e:Entity)
  RETURN count(DISTINCT e) AS entities, min(m.created_at) AS first_created, max(m.created_at) AS last_created
}
CALL (members) {
  UNWIND members AS m
  OPTIONAL MATCH (m)-[:USED_DEVICE|USED_CARD|USED_IP]->(i)
  WITH i, count(DISTINCT m) AS users
  RETURN count(CASE WHEN i:Device AND users >= 2 THEN 1 END) AS shared_devices,
         count(CASE WHEN i:Card AND users >= 2 THEN 1 END) AS shared_cards,
         count(CASE WHEN i:IP AND users >= 2 THEN 1 END) AS shared_ips
}
RETURN component_id, kind, accounts, entities, shared_devices, shared_cards, shared_ips,
       apoc.temporal.format(first_created, 'yyyy-MM-dd HH:mm') AS first_created,
       apoc.temporal.format(last_created, 'yyyy-MM-dd HH:mm') AS last_created, [m IN members | m.account_id][..10] AS sample_account_ids
ORDER BY accounts DESC, component_id
