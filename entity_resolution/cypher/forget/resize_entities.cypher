// Erasure: entities that lost forgotten members get their new size; those left empty are removed.
// params: $entity_ids (list of strings)
// returns: resized (int), removed (int)
MATCH (e:Entity)
WHERE e.entity_id IN $entity_ids
WITH e, COUNT { (e)<-[:MEMBER_OF]-(:Account) } AS members
SET e.size = CASE WHEN members > 0 THEN members ELSE e.size END
FOREACH (_ IN CASE WHEN members = 0 THEN [1] ELSE [] END | DETACH DELETE e)
RETURN count(CASE WHEN members > 0 THEN 1 END) AS resized, count(CASE WHEN members = 0 THEN 1 END) AS removed
