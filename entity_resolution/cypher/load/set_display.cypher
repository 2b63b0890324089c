// Short captions for Neo4j Browser (cypher/browser/style.grass): `display` on accounts (the id without a
// letters-and-underscore prefix such as "acct_", which every id shares) and entities (the first 10 characters
// of entity_id). Only nodes without one yet: ids never change, so a caption once set stays right.
// params: none
// returns: nothing
MATCH (n)
WHERE (n:Account OR n:Entity) AND n.display IS NULL
CALL (n) {
  SET n.display = CASE
    WHEN n:Entity THEN substring(n.entity_id, 0, 10)
    WHEN n.account_id =~ '[A-Za-z]+_.+' THEN substring(n.account_id, size(split(n.account_id, '_')[0]) + 1)
    ELSE n.account_id END
} IN TRANSACTIONS OF 10000 ROWS
