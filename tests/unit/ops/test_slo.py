"""The queues' SLOs: the bounds the ops page marks, and the alert rule that pages on them."""

from pathlib import Path

import yaml

from backoffice.ops import slo

RULES = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "ops-slo.rules"


def test_a_venue_queue_breaches_when_its_oldest_message_reaches_the_bound():
    assert slo.age_objective("venue.SIM-A", None).breached is False  # nothing waiting
    assert slo.age_objective("venue.SIM-A", 4.9).breached is False
    breached = slo.age_objective("venue.SIM-A", 5.0)
    assert breached.breached is True and breached.text == "oldest < 5 s"
    assert slo.age_objective("publisher", 12.0).breached is True
    assert slo.age_objective("default", 100.0) is None  # no objective, no mark


def test_a_consumer_breaches_when_its_lag_reaches_the_bound():
    assert slo.lag_objective("ingest", 999).breached is False
    assert slo.lag_objective("ingest", 1_000).text == "lag < 1,000"
    assert slo.lag_objective("ingest", 1_000).breached is True
    assert slo.lag_objective("ingest", None).breached is False


def test_the_alert_rule_pages_on_the_breach_metric():
    rules = yaml.safe_load(RULES.read_text())
    alerts = {r["alert"]: r for group in rules["groups"] for r in group["rules"]}
    assert "ops_queue_slo_breached" in alerts["QueueSLOBreached"]["expr"]
    assert alerts["QueueSLOBreached"]["labels"]["severity"] == "page"
    assert "ops_queue_oldest_age_slo_seconds" in alerts["QueueOldestMessageNearSLO"]["expr"]
