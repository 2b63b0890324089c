// The members table of a ring (scalars only, one row per account: reads in Browser's table view and exports as
// a clean CSV); ring_view.cypher draws the same ring. Bridge accounts named by the ring are listed too.
// params: $ring_id (string)
// returns: account_id, entity_id, entity_size, created (date and time, UTC), risk_score, top_reasons (the first
//          three reasons, each cut before its details), bridge, label_known (the enforcement decision detection
//          was given for it as of its as-of, `er detect --labels`: 'abusive (manual_review)'; null without one),
//          in_ring, shared_identifiers (identifiers this account shares with other members)
MATCH (ring:Ring {ring_id: $ring_id})
CALL (ring) {
  MATCH (ring)<-[:IN_RING]-(a:Account)
  RETURN a
  UNION
  MATCH (a:Account) WHERE a.account_id IN coalesce(ring.bridge_account_ids, [])
  RETURN a
}
OPTIONAL MATCH (a)-[:MEMBER_OF]->(e:Entity)
RETURN a.account_id AS account_id, e.entity_id AS entity_id, e.size AS entity_size,
       apoc.temporal.format(a.created_at, 'yyyy-MM-dd HH:mm') AS created, round(a.risk_score, 3) AS risk_score,
       apoc.text.join([r IN coalesce(a.risk_reasons, [])[0..3] | trim(split(split(r, ':')[0], ' (')[0])], '; ')
         AS top_reasons, coalesce(a.is_bridge, false) AS bridge,
       a.label_decision + coalesce(' (' + a.label_origin + ')', '') AS label_known,
       EXISTS { (a)-[:IN_RING]->(ring) } AS in_ring,
       COUNT { (a)-[:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->(i)
               WHERE EXISTS { (i)<-[:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]-(o:Account)-[:IN_RING]->(ring)
                              WHERE o <> a } } AS shared_identifiers
ORDER BY risk_score DESC, account_id
