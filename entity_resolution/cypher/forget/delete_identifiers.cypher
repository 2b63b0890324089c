// Erasure: delete the identifier nodes (e-mail, phone, device, card, IP) that only the forgotten accounts used.
// params: $ids (list of account_id strings)
// returns: deleted (int)
MATCH (a:Account)-[:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]->(i)
WHERE a.account_id IN $ids
  AND NOT EXISTS {
    MATCH (i)<-[:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]-(other:Account)
    WHERE NOT other.account_id IN $ids
  }
WITH DISTINCT i
DETACH DELETE i
RETURN count(i) AS deleted
