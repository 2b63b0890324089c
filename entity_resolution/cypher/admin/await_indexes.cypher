// Wait until every index (constraints' included) is online, up to $seconds.
// params: $seconds (int)
// returns: nothing
CALL db.awaitIndexes($seconds)
