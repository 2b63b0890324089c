// The detection graph as edges: each entity and each shared non-hub identifier it is linked to by this
// detection's SHARES links (the same rows as the in-process shared edge set). One record of columns (lists).
// params: $detection_id (string)
// returns: entity_id, kind, value (each a list)
MATCH (e:Entity)-[:SHARES {detection_id: $detection_id}]->(i)
WITH e.entity_id AS entity_id,
     CASE WHEN i:Device THEN 'device' WHEN i:Card THEN 'card' WHEN i:IP THEN 'ip'
          WHEN i:Email THEN 'email' ELSE 'phone' END AS kind,
     coalesce(i.device_id, i.fingerprint, i.address, i.value) AS value
ORDER BY entity_id, kind, value
RETURN collect(entity_id) AS entity_id, collect(kind) AS kind, collect(value) AS value
