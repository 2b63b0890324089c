// Every relationship between data nodes with its type, end keys and properties, for digests and audits.
// params: none
// returns: type, start, end, props (map), types (list of [key, Cypher type, zone of a zoned temporal])
MATCH (a)-[r]->(b)
WHERE NOT a:Run AND NOT a:LoadStep AND NOT b:LoadStep
RETURN type(r) AS type,
       coalesce(a.account_id, a.entity_id, a.value, a.device_id, a.fingerprint, a.address, a.prefix) AS start,
       coalesce(b.account_id, b.entity_id, b.value, b.device_id, b.fingerprint, b.address, b.prefix) AS end,
       properties(r) AS props,
       [k IN keys(r) | [k, valueType(r[k]), CASE WHEN valueType(r[k]) STARTS WITH 'ZONED' THEN r[k].timezone END]]
         AS types
