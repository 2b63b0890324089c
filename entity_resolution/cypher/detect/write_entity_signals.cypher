// Signal properties on entities (their accounts' component and ring, any bridge, the highest risk score).
// params: $rows (list of {entity_id, component_id, ring_id, is_bridge, risk_score}), $detection_id (string), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MATCH (e:Entity {entity_id: row.entity_id})
SET e.component_id = row.component_id, e.ring_id = row.ring_id, e.is_bridge = row.is_bridge,
    e.risk_score = row.risk_score, e.detection_id = $detection_id, e.detection_run_id = $run_id
