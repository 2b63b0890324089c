// Clear the working properties of the previous detection from entities and identifiers (auto-commit).
// params: none
// returns: nothing
MATCH (n)
WHERE (n:Entity OR n:Device OR n:Card OR n:IP OR n:Email OR n:Phone)
  AND (n.detect_entities IS NOT NULL OR n.detect_component IS NOT NULL OR n.detect_part IS NOT NULL
       OR n.detect_bridge IS NOT NULL)
CALL (n) {
  REMOVE n.detect_entities, n.detect_accounts, n.detect_component, n.detect_component_entities,
         n.detect_part, n.detect_part_entities, n.detect_bridge
} IN TRANSACTIONS OF 10000 ROWS
