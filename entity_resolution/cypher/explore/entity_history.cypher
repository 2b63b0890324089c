// An entity's history across runs, oldest run first: the run that last wrote the entity and each membership, and
// for every MATCHES link touching a member the run that first predicted it, the last run that did (if later) and
// the run that retired it. A moved account's old membership is deleted, so a link to an account now in another
// entity (other_entity_id), especially a retired one, is the trace of a split or a move.
// params: $entity_id (string)
// returns: run_id, as_of, run_complete, event, account_id, other_account_id, other_entity_id, match_probability,
//          personal_weight, same_person, active
MATCH (e:Entity {entity_id: $entity_id})
CALL (e) {
  RETURN e.run_id AS run_id, 'entity written (size ' + e.size + ')' AS event, null AS account_id,
         null AS other_account_id, null AS other_entity_id, null AS m
  UNION ALL
  MATCH (e)<-[mo:MEMBER_OF]-(a:Account)
  RETURN mo.run_id AS run_id, 'member' AS event, a.account_id AS account_id, null AS other_account_id,
         null AS other_entity_id, null AS m
  UNION ALL
  MATCH (e)<-[:MEMBER_OF]-(a:Account)-[m:MATCHES]-(o:Account)
  OPTIONAL MATCH (o)-[:MEMBER_OF]->(oe:Entity)
  WITH a, m, o, oe
  WHERE oe <> e OR oe IS NULL OR a.account_id < o.account_id
  UNWIND [['link first predicted', m.first_run_id],
          ['link last predicted', CASE WHEN m.last_run_id <> m.first_run_id THEN m.last_run_id END],
          ['link retired', m.retired_run_id]] AS step
  WITH a, m, o, oe, step
  WHERE step[1] IS NOT NULL
  RETURN step[1] AS run_id, step[0] AS event, a.account_id AS account_id, o.account_id AS other_account_id,
         oe.entity_id AS other_entity_id, m
}
OPTIONAL MATCH (run:Run {run_id: run_id})
RETURN run_id, run.as_of AS as_of, run.complete AS run_complete, event, account_id, other_account_id,
       other_entity_id, m.match_probability AS match_probability, m.personal_weight AS personal_weight,
       m.same_person AS same_person, m.active AS active
ORDER BY as_of, run_id, account_id IS NOT NULL, account_id, other_account_id, event
