// Every data node with its labels and properties (run bookkeeping excluded), for digests and audits.
// params: none
// returns: labels (list), props (map)
MATCH (n)
WHERE NOT n:Run AND NOT n:LoadStep AND NOT n:SchemaVersion
RETURN labels(n) AS labels, properties(n) AS props
