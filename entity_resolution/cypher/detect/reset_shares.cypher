// Remove the previous detection's entity-identifier links (auto-commit: batched transactions).
// params: none
// returns: nothing
MATCH (:Entity)-[s:SHARES]->()
CALL (s) { DELETE s } IN TRANSACTIONS OF 10000 ROWS
