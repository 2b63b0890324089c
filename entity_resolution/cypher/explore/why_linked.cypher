// Why two accounts are linked, one row per piece of evidence. "Same person": the Splink MATCHES link between
// them (probability, weights, whether it is a same-person link, still active or retired), else the shortest
// chain of active same-person links, and the same entity. "Same operator": devices, cards and IPs both used
// (shared_by = how many accounts use the identifier, and a hub shared by hundreds proves little), the same
// ring. Shared e-mails and phones are personal identifiers. No rows: no direct evidence (try the neighbourhood).
// The Splink link row also lists its evidence per field, highest weight first: "devices: agree (+14.6)", "dob: disagree
// (-6.1)" (the link's ev_<field> and mw_<field> properties; fields with no value on one side are left out).
// params: $a (string, account_id), $b (string, account_id)
// returns: evidence, kind, value, shared_by, match_probability, match_weight, personal_weight, same_person, active,
//          first_run_id, last_run_id, retired_run_id, agreed (fields), fuzzy (fields), disagreed (fields),
//          field_evidence (list of "field: level (weight)"), path
MATCH (a:Account {account_id: $a}), (b:Account {account_id: $b})
CALL (a, b) {
  MATCH path = (a)-[m:MATCHES]-(b)
  RETURN 'same person: Splink link' AS evidence, 'MATCHES' AS kind, null AS value, null AS shared_by, m, path
  UNION ALL
  WITH a, b
  WHERE NOT EXISTS { (a)-[m:MATCHES]-(b) WHERE m.active AND m.same_person }
  MATCH path = shortestPath((a)-[:MATCHES*..10]-(b))
  WHERE all(r IN relationships(path) WHERE r.active AND r.same_person)
  RETURN 'same person: chain of links' AS evidence, 'MATCHES' AS kind, length(path) + ' links' AS value,
         null AS shared_by, null AS m, path
  UNION ALL
  MATCH path = (a)-[:MEMBER_OF]->(e:Entity)<-[:MEMBER_OF]-(b)
  RETURN 'same person: same entity' AS evidence, 'Entity' AS kind, e.entity_id AS value, e.size AS shared_by,
         null AS m, path
  UNION ALL
  MATCH path = (a)-[ua:USED_EMAIL|USED_PHONE]->(i)<-[ub:USED_EMAIL|USED_PHONE]-(b)
  RETURN 'personal identifier' AS evidence, labels(i)[0] AS kind, i.value AS value,
         COUNT { (i)<-[:USED_EMAIL|USED_PHONE]-() } AS shared_by, null AS m, path
  UNION ALL
  MATCH path = (a)-[ua:USED_DEVICE|USED_CARD|USED_IP]->(i)<-[ub:USED_DEVICE|USED_CARD|USED_IP]-(b)
  RETURN 'same operator: shared infrastructure' AS evidence, labels(i)[0] AS kind,
         coalesce(i.device_id, i.fingerprint, i.address) AS value,
         COUNT { (i)<-[:USED_DEVICE|USED_CARD|USED_IP]-() } AS shared_by, null AS m, path
  UNION ALL
  MATCH path = (a)-[:IN_RING]->(r:Ring)<-[:IN_RING]-(b)
  RETURN 'same operator: same ring' AS evidence, 'Ring' AS kind, r.ring_id AS value,
         COUNT { (r)<-[:IN_RING]-() } AS shared_by, null AS m, path
}
WITH evidence, kind, value, shared_by, m, path,
     CASE WHEN m IS NULL THEN [] ELSE
       [k IN keys(m) WHERE k STARTS WITH 'ev_' AND m[k] <> 'missing' |
        {field: substring(k, 3), level: m[k], weight: m['mw_' + substring(k, 3)]}] END AS fields
RETURN evidence, kind, value, shared_by, m.match_probability AS match_probability, m.match_weight AS match_weight,
       m.personal_weight AS personal_weight, m.same_person AS same_person, m.active AS active,
       m.first_run_id AS first_run_id, m.last_run_id AS last_run_id, m.retired_run_id AS retired_run_id,
       [f IN fields WHERE f.level = 'agree' | f.field] AS agreed,
       [f IN fields WHERE f.level = 'fuzzy' | f.field] AS fuzzy,
       [f IN fields WHERE f.level = 'disagree' | f.field] AS disagreed,
       [f IN apoc.coll.sortMaps(fields, 'weight') |
        f.field + ': ' + f.level + ' (' + CASE WHEN f.weight >= 0 THEN '+' ELSE '' END +
        toString(round(f.weight, 1)) + ')'] AS field_evidence,
       path
