// Whether the database holds any data: a node other than the schema's SchemaVersion marker.
// params: none
// returns: has_data (boolean)
OPTIONAL MATCH (n)
WHERE NOT 'SchemaVersion' IN labels(n)  // not n:SchemaVersion: no warning when the label is unknown
WITH n LIMIT 1
RETURN n IS NOT NULL AS has_data
