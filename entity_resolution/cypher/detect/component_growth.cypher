// Size and growth of every component as of $as_of: accounts created in the 1, 7 and 30 days before it.
// params: $as_of (datetime)
// returns: component_id, entity_count, account_count, growth_1d, growth_7d, growth_30d
MATCH (a:Account)-[:MEMBER_OF]->(e:Entity)
WHERE a.created_at <= $as_of
WITH a, e, coalesce(e.detect_component,
     'C-' + CASE WHEN e.entity_id STARTS WITH 'E-' THEN substring(e.entity_id, 2) ELSE e.entity_id END) AS component_id
RETURN component_id, count(DISTINCT e) AS entity_count, count(a) AS account_count,
       count(CASE WHEN a.created_at > $as_of - duration({days: 1}) THEN 1 END) AS growth_1d,
       count(CASE WHEN a.created_at > $as_of - duration({days: 7}) THEN 1 END) AS growth_7d,
       count(CASE WHEN a.created_at > $as_of - duration({days: 30}) THEN 1 END) AS growth_30d
ORDER BY component_id
