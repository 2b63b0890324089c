// High-risk accounts that no ring holds (table): the ones a ring-first review misses.
// params: $min_risk (float, e.g. 0.8: the HighRisk label's threshold, detect/marks.py), $limit (int)
// returns: account_id, entity_id, risk_score, top_reasons, component_id, created
MATCH (a:Account)
WHERE a.retired_run_id IS NULL AND a.risk_score >= $min_risk AND a.ring_id IS NULL
OPTIONAL MATCH (a)-[:MEMBER_OF]->(e:Entity)
RETURN a.account_id AS account_id, e.entity_id AS entity_id, round(a.risk_score, 3) AS risk_score,
       apoc.text.join(coalesce(a.risk_reasons, [])[0..3], '; ') AS top_reasons, a.component_id AS component_id,
       apoc.temporal.format(a.created_at, 'yyyy-MM-dd HH:mm') AS created
ORDER BY risk_score DESC, account_id
LIMIT toInteger($limit)
