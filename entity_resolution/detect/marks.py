"""Labels set from a completed detection so Neo4j Browser's style can show them (cypher/browser/style.grass).

RingMember, Bridge and HighRisk on accounts, Hub on hub identifiers (cypher/detect/write_marks.cypher). They are
a view of the detection's signal properties (ring_id, is_bridge, risk_score, hub_detection_id), rewritten by
every detection; nothing reads them back.
"""

from __future__ import annotations

from neo4j import Driver

from ..graph.cypher import load_cypher

# risk_score at or above this is drawn as HighRisk: the score is a probability-like 0-1 value
# (docs/signals.md); 0.8 keeps the label for the accounts an investigator should look at first.
HIGH_RISK = 0.8


def write_marks(driver: Driver, detection_id: str, database: str = "neo4j") -> int:
    """Label the accounts and identifiers of detection `detection_id`; return how many accounts got a label."""
    records, _, _ = driver.execute_query(load_cypher("detect/write_marks"), detection_id=detection_id,
                                         high_risk=HIGH_RISK, database_=database)
    return int(records[0]["marked"])
