// Rings: parts with at least $ring_min_entities entities sharing at least $ring_min_identifiers identifiers
// (identifiers used by exactly the same entities count once), households (up to $household_max_entities
// entities sharing at most one device, IP and card, no e-mail or phone) left out. Counts, first/last seen
// and 7-day growth as of $as_of.
// params: $as_of (datetime), $ring_min_entities (int), $ring_min_identifiers (int), $household_max_entities (int)
// returns: part_id, entity_count, account_count, device_count, card_count, ip_count, email_count, phone_count, first_seen, last_seen, growth_7d
MATCH (e:Entity)
WHERE e.detect_part IS NOT NULL
WITH e.detect_part AS part_id, collect(e) AS ents
WHERE size(ents) >= $ring_min_entities
CALL (ents) {
  UNWIND ents AS e
  MATCH (e)-[:SHARES]->(i)
  WITH i, apoc.coll.sort(collect(e.entity_id)) AS members
  WHERE size(members) >= 2
  RETURN count(CASE WHEN i:Device THEN 1 END) AS device_count, count(CASE WHEN i:Card THEN 1 END) AS card_count,
         count(CASE WHEN i:IP THEN 1 END) AS ip_count, count(CASE WHEN i:Email THEN 1 END) AS email_count,
         count(CASE WHEN i:Phone THEN 1 END) AS phone_count, count(DISTINCT members) AS footprints
}
WITH part_id, ents, device_count, card_count, ip_count, email_count, phone_count, footprints
WHERE footprints >= $ring_min_identifiers
  AND NOT (size(ents) <= $household_max_entities AND device_count <= 1 AND ip_count <= 1 AND card_count <= 1
           AND email_count = 0 AND phone_count = 0)
CALL (ents) {
  UNWIND ents AS e
  MATCH (e)<-[:MEMBER_OF]-(a:Account)
  WHERE a.created_at <= $as_of
  OPTIONAL MATCH (a)-[u:USED_DEVICE|USED_CARD|USED_IP|USED_EMAIL|USED_PHONE]->()
  WHERE u.first_seen <= $as_of
  WITH a, max(u.last_seen) AS used
  RETURN count(a) AS account_count, min(a.created_at) AS first_seen,
         max(CASE WHEN used IS NULL OR a.created_at > used THEN a.created_at ELSE used END) AS last_seen,
         count(CASE WHEN a.created_at > $as_of - duration({days: 7}) THEN 1 END) AS growth_7d
}
RETURN part_id, size(ents) AS entity_count, account_count, device_count, card_count, ip_count, email_count,
       phone_count, first_seen, last_seen, growth_7d
ORDER BY part_id
