// Erasure: take the forgotten accounts out of the ring lists detection wrote (bridge accounts).
// params: $ids (list of account_id strings)
// returns: rings (int)
MATCH (r:Ring)
WHERE any(x IN coalesce(r.bridge_account_ids, []) WHERE x IN $ids)
SET r.bridge_account_ids = [x IN r.bridge_account_ids WHERE NOT x IN $ids]
RETURN count(r) AS rings
