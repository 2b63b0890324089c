// Delete everything in the database, in batches (for tests and throwaway databases only).
// params: none
// returns: nothing
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
