// Remove the ring memberships of the previous detection (auto-commit, batched).
// params: none
// returns: nothing
MATCH (:Account)-[m:IN_RING]->(:Ring)
CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS
