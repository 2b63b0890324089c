// Labels for Browser's style, from the detection just completed: RingMember (in an active ring), Bridge,
// HighRisk (risk_score >= $high_risk) on current accounts, Hub on the hub identifiers; the previous detection's
// labels are taken off first. Rings get a short caption, `display` (the first 8 characters of ring_id).
// params: $detection_id (string), $high_risk (float)
// returns: marked (accounts labelled)
CALL () {
  MATCH (n:RingMember|Bridge|HighRisk|Hub)
  REMOVE n:RingMember:Bridge:HighRisk:Hub
}
CALL () {
  MATCH (i:Device|Card|IP|Email|Phone {hub_detection_id: $detection_id})
  SET i:Hub
}
CALL () {
  MATCH (r:Ring {detection_id: $detection_id})
  SET r.display = substring(r.ring_id, 0, 8)
}
MATCH (a:Account {detection_id: $detection_id})
WHERE a.retired_run_id IS NULL AND (a.ring_id IS NOT NULL OR a.is_bridge OR a.risk_score >= $high_risk)
FOREACH (_ IN CASE WHEN a.ring_id IS NOT NULL THEN [1] ELSE [] END | SET a:RingMember)
FOREACH (_ IN CASE WHEN a.is_bridge THEN [1] ELSE [] END | SET a:Bridge)
FOREACH (_ IN CASE WHEN a.risk_score >= $high_risk THEN [1] ELSE [] END | SET a:HighRisk)
RETURN count(a) AS marked
