// Account -> entity membership. An account that moved entity has its old membership removed, not duplicated.
// params: $rows (list of {account_id, entity_id, entity_size}), $run_id (string)
// returns: nothing
UNWIND $rows AS row
MERGE (e:Entity {entity_id: row.entity_id})
SET e.size = row.entity_size, e.run_id = $run_id
WITH row, e
MATCH (a:Account {account_id: row.account_id})
OPTIONAL MATCH (a)-[old:MEMBER_OF]->(other:Entity)
WHERE other.entity_id <> row.entity_id
DELETE old
MERGE (a)-[m:MEMBER_OF]->(e)
SET m.run_id = $run_id
