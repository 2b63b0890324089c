// The shortest evidence path between two accounts (`er explain A B` without Neo4j computes the same from the run
// folder): a chain of identifiers both sides used (e-mail, phone, device, card, IP) and active same-person
// MATCHES links, never through a hub identifier (label Hub from the last completed detection). Up to 12
// relationships (6 account-to-account steps). No row: no such chain (see why_linked for the direct evidence).
// params: $a (string, account_id), $b (string, account_id)
// returns: relationships (path length), account_steps (accounts passed, both ends included), chain (list of
//          "Account id" / "Label value (N accounts)" / "MATCHES p=0.99"), path
MATCH (a:Account {account_id: $a}), (b:Account {account_id: $b})
MATCH path = SHORTEST 1 (a)(()-[r:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP|MATCHES]-(n)
                            WHERE NOT n:Hub AND (type(r) <> 'MATCHES' OR (r.active AND r.same_person))){1,12}(b)
WITH path, nodes(path) AS ns, relationships(path) AS rs
UNWIND range(0, size(ns) - 1) AS i
WITH path, ns, rs, i, ns[i] AS node
WITH path, ns, i,
     CASE WHEN node:Account THEN 'Account ' + node.account_id
          ELSE labels(node)[0] + ' ' + coalesce(node.device_id, node.fingerprint, node.address, node.value) + ' ('
               + toString(COUNT { (node)<-[:USED_EMAIL|USED_PHONE|USED_DEVICE|USED_CARD|USED_IP]-(:Account) })
               + ' accounts)' END
     + CASE WHEN i < size(rs) AND type(rs[i]) = 'MATCHES'
            THEN ' -MATCHES p=' + toString(round(rs[i].match_probability, 4)) + '-' ELSE '' END AS step
ORDER BY i
RETURN length(path) AS relationships, size([n IN ns WHERE n:Account]) AS account_steps, collect(step) AS chain,
       path
