// A ring's timeline (table): its members by sign-up time, with the running count, so bursts show as many rows
// with close dates.
// params: $ring_id (string)
// returns: created (date and time, UTC), day, account_id, entity_id, members_so_far
MATCH (ring:Ring {ring_id: $ring_id})<-[:IN_RING]-(a:Account)
OPTIONAL MATCH (a)-[:MEMBER_OF]->(e:Entity)
WITH a, e ORDER BY a.created_at, a.account_id
WITH collect({a: a, e: e}) AS rows
UNWIND range(0, size(rows) - 1) AS n
RETURN apoc.temporal.format(rows[n].a.created_at, 'yyyy-MM-dd HH:mm') AS created,
       toString(date(rows[n].a.created_at)) AS day, rows[n].a.account_id AS account_id,
       rows[n].e.entity_id AS entity_id, n + 1 AS members_so_far
