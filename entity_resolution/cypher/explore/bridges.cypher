// Bridges between rings (table): one row per bridge account named by an active ring, with the rings it joins
// and the identifiers it shares with members of each (hub identifiers left out).
// params: none
// returns: account_id, ring_id, risk_score, other_rings, via (list of "Label value"), created
MATCH (ring:Ring {active: true})
UNWIND coalesce(ring.bridge_account_ids, []) AS bridge_id
MATCH (a:Account {account_id: bridge_id})
OPTIONAL MATCH (a)-[:USED_DEVICE|USED_CARD|USED_IP]->(i)<-[:USED_DEVICE|USED_CARD|USED_IP]-(:Account)
               -[:IN_RING]->(other:Ring {active: true})
WHERE other <> ring AND NOT i:Hub
RETURN a.account_id AS account_id, ring.ring_id AS ring_id, round(a.risk_score, 3) AS risk_score,
       collect(DISTINCT other.ring_id) AS other_rings,
       collect(DISTINCT labels(i)[0] + ' ' + coalesce(i.device_id, i.fingerprint, i.address)) AS via,
       apoc.temporal.format(a.created_at, 'yyyy-MM-dd HH:mm') AS created
ORDER BY ring_id, account_id
