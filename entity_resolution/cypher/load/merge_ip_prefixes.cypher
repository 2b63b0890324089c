// IP -> prefix (/24 for IPv4, /48 for IPv6) containment.
// params: $rows (list of {value, prefix}), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MERGE (p:IPPrefix {prefix: row.prefix})
SET p.run_id = $run_id
WITH row, p
MATCH (i:IP {address: row.value})
MERGE (i)-[r:IN_PREFIX]->(p)
SET r.run_id = $run_id
