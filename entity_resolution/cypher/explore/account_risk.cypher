// An account's risk score and every reason the last detection wrote for it, one row per reason with its
// contribution read off the reason's "(+0.60)" (default weights: the score is 1 - product of (1 - c); learned
// risk: log-odds, and its reasons hold the four largest: `er explain --account` reads them all from the run folder).
// With its ring, bridge flag, entity and the enforcement decision known at detection (label_known).
// params: $account_id (string)
// returns: account_id, risk_score, rank, reason, contribution, ring_id, is_bridge, entity_id, label_known,
//          detection_id
MATCH (a:Account {account_id: $account_id})
OPTIONAL MATCH (a)-[:MEMBER_OF]->(e:Entity)
WITH a, e, coalesce(a.risk_reasons, []) AS reasons
UNWIND CASE WHEN size(reasons) = 0 THEN [null] ELSE range(0, size(reasons) - 1) END AS n
WITH a, e, n, reasons[n] AS reason
WITH a, e, n, reason,
     CASE WHEN reason =~ '.* \\([+-][0-9.]+\\)$'
          THEN toFloat(replace(split(reason, ' (')[-1], ')', '')) END AS contribution
RETURN a.account_id AS account_id, round(a.risk_score, 6) AS risk_score, n + 1 AS rank, reason, contribution,
       a.ring_id AS ring_id, coalesce(a.is_bridge, false) AS is_bridge, e.entity_id AS entity_id,
       a.label_decision + coalesce(' (' + a.label_origin + ')', '') AS label_known, a.detection_id AS detection_id
ORDER BY rank
