// Splink pairwise evidence between accounts: "same person" links, kept apart from shared-infrastructure use.
// params: $rows ({l, r, match_probability, match_weight, personal_weight, same_person, evidence}), $run_id
// returns: nothing
UNWIND $rows AS row
MATCH (a:Account {account_id: row.l})
MATCH (b:Account {account_id: row.r})
MERGE (a)-[m:MATCHES]->(b)
SET m.match_probability = row.match_probability, m.match_weight = row.match_weight,
    m.personal_weight = row.personal_weight, m.same_person = row.same_person,
    m.last_run_id = $run_id, m.first_run_id = coalesce(m.first_run_id, $run_id),
    m.active = true, m.retired_run_id = null
// evidence per field: ev_<field> (agree, fuzzy, disagree, missing) and mw_<field> (graph/evidence.py)
SET m += row.evidence
