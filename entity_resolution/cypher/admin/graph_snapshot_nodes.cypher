// Every data node with its labels and properties (run bookkeeping excluded), for digests and audits.
// params: none
// returns: labels (list), props (map), types (list of [key, Cypher type, zone of a zoned temporal])
MATCH (n)
WHERE NOT n:Run AND NOT n:LoadStep AND NOT n:SchemaVersion
RETURN labels(n) AS labels, properties(n) AS props,
       // the driver hands UTC, Z and +00:00 all back as UTC: the server says which one is stored
       [k IN keys(n) | [k, valueType(n[k]), CASE WHEN valueType(n[k]) STARTS WITH 'ZONED' THEN n[k].timezone END]]
         AS types
