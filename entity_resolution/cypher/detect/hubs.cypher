// Hub identifiers: seen on more than $threshold entities; marked with the detection id and returned.
// params: $threshold (int), $detection_id (string)
// returns: kind, value, entity_count, account_count
MATCH (i)
WHERE (i:Device OR i:Card OR i:IP OR i:Email OR i:Phone) AND i.detect_entities > $threshold
SET i.hub_detection_id = $detection_id, i.hub_entities = i.detect_entities
RETURN CASE WHEN i:Device THEN 'device' WHEN i:Card THEN 'card' WHEN i:IP THEN 'ip'
            WHEN i:Email THEN 'email' ELSE 'phone' END AS kind,
       coalesce(i.device_id, i.fingerprint, i.address, i.value) AS value,
       i.detect_entities AS entity_count, i.detect_accounts AS account_count
ORDER BY entity_count DESC, kind, value
