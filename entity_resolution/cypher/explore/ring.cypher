// A ring with its member accounts, their entities and the identifiers each member shares with other members.
// $ring_id names a Ring node written by detection. When there is no Ring with that id (for example before
// detection has run) it is read as an account_id and the ring is that account's infrastructure-sharing
// component: the accounts reached through devices, cards and IPs, not expanding identifiers used by hubs (label Hub from the last
// completed detection) (carrier-NAT IPs, default device ids, test cards).
// params: $ring_id (string: a ring_id or an account_id)
// returns: ring_id, kind ('ring' or 'component'), account_id, risk_score, risk_reasons, is_bridge, entity_id,
//          shared_count, shared_values (list of "Label value"), ring (node or null), in_ring, account,
//          member_of, entity, uses (list of USED_* relationships), shared (list of identifier nodes),
//          one row per member
OPTIONAL MATCH (ring:Ring {ring_id: $ring_id})
OPTIONAL MATCH (ring)<-[:IN_RING]-(member:Account)
WITH ring, collect(member) AS ring_members
CALL (ring) {
  WITH ring WHERE ring IS NULL
  MATCH (start:Account {account_id: $ring_id})
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
  CALL apoc.path.subgraphNodes(start, {
    relationshipFilter: 'USED_DEVICE|USED_CARD|USED_IP', denylistNodes: hubs
  }) YIELD node
  WITH node WHERE node:Account
  RETURN collect(node) AS component
}
WITH ring, CASE WHEN ring IS NULL THEN component ELSE ring_members END AS members
UNWIND members AS account
OPTIONAL MATCH (ring)<-[in_ring:IN_RING]-(account)
OPTIONAL MATCH (account)-[member_of:MEMBER_OF]->(entity:Entity)
CALL (account, members) {
  OPTIONAL MATCH (account)-[u:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]->(i)
  WHERE EXISTS {
    MATCH (i)<-[:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]-(other:Account)
    WHERE other <> account AND other IN members
  }
  RETURN collect(u) AS uses, collect(i) AS shared
}
RETURN coalesce(ring.ring_id, $ring_id) AS ring_id,
       CASE WHEN ring IS NULL THEN 'component' ELSE 'ring' END AS kind,
       account.account_id AS account_id, account.risk_score AS risk_score, account.risk_reasons AS risk_reasons,
       account.is_bridge AS is_bridge,
       entity.entity_id AS entity_id, size(shared) AS shared_count,
       [i IN shared | labels(i)[0] + ' ' + coalesce(i.device_id, i.fingerprint, i.address, i.value)] AS shared_values,
       ring, in_ring, account, member_of, entity, uses, shared
ORDER BY shared_count DESC, account_id
