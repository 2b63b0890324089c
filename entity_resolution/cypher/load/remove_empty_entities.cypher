// Entities left without members after memberships moved (merged away) are removed.
// params: none
// returns: removed (int)
MATCH (e:Entity) WHERE NOT (e)<-[:MEMBER_OF]-()
DETACH DELETE e
RETURN count(*) AS removed
