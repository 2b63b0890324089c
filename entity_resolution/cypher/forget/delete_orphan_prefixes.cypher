// Erasure: IP prefixes left without any IP (their only addresses were forgotten) go too.
// params: none
// returns: deleted (int)
MATCH (p:IPPrefix)
WHERE NOT (p)<-[:IN_PREFIX]-()
DETACH DELETE p
RETURN count(p) AS deleted
