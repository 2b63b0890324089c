// The components the last completed detection counts as fast-growing (`er detect`'s fast_growing_components):
// those with a ring that grew fast in its 1-, 7- or 30-day window (docs/signals.md, Growth). Growth is counted
// per ring, on the ring's accounts and the accounts growing with it (both flagged fast_growing), so the windows
// count those accounts created in the 1, 7 and 30 days up to the as_of of the run detection scored.
// params: none
// returns: component_id, component_size, ring_ids, growing_accounts, new_1d, new_7d, new_30d, as_of,
//          growing_account_ids (up to 10, newest first)
MATCH (d:Detection)
WHERE d.complete
WITH d ORDER BY d.finished_at DESC LIMIT 1
MATCH (run:Run {run_id: d.run_id})
MATCH (a:Account {detection_id: d.detection_id})
WHERE a.fast_growing AND a.retired_run_id IS NULL
WITH run.as_of AS as_of, a.component_id AS component_id, max(a.component_size) AS component_size,
     collect(a) AS growing
RETURN component_id, component_size,
       apoc.coll.sort(apoc.coll.toSet([a IN growing WHERE a.ring_id IS NOT NULL | a.ring_id])) AS ring_ids,
       size(growing) AS growing_accounts,
       size([a IN growing WHERE as_of - duration({days: 1}) < a.created_at <= as_of]) AS new_1d,
       size([a IN growing WHERE as_of - duration({days: 7}) < a.created_at <= as_of]) AS new_7d,
       size([a IN growing WHERE as_of - duration({days: 30}) < a.created_at <= as_of]) AS new_30d,
       apoc.temporal.format(as_of, 'yyyy-MM-dd HH:mm') AS as_of,
       [a IN apoc.coll.sortNodes(growing, 'created_at') | a.account_id][..10] AS growing_account_ids
ORDER BY new_7d DESC, growing_accounts DESC, component_id
