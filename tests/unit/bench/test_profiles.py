"""bench/profiles.py: where the time goes, read from py-spy's stacks and the per-part CPU."""

from __future__ import annotations

from bench import profile_report, profiles, report

COLLAPSED = """\
process 11:"python -m celery worker";run (celery/worker.py:10);apply (trading/x.py:5) 6
process 11:"python -m celery worker";run (celery/worker.py:10);encode (msgspec.py:1) 3
process 12:"/v/bin/python /v/bin/celery worker";run (worker.py:10);apply (trading/x.py:5) 1
process 12:"/v/bin/python /v/bin/celery worker";run (w.py:1);Condition.wait (threading.py:2) 10
not a stack line
"""


def test_self_time_counts_the_function_on_top_of_each_stack():
    found = profiles.self_time(COLLAPSED)
    assert found["samples"] == 20
    assert found["waiting_share"] == 0.5  # a thread parked on a Condition is not working
    assert found["top"] == [
        {"function": "apply (trading/x.py:5)", "self_share": 0.35},
        {"function": "encode (msgspec.py:1)", "self_share": 0.15},
    ]
    assert found["processes"] == [
        {"process": "python celery worker", "share": 0.55},
        {"process": "python -m celery worker", "share": 0.45},
    ]


def test_no_samples_is_an_empty_profile_not_a_division_by_zero():
    assert profiles.self_time("") == {
        "samples": 0,
        "waiting_share": 0.0,
        "processes": [],
        "top": [],
    }


def test_parts_are_ranked_and_the_broker_is_never_sampled():
    cpu = {"web": 3.0, "kafka": 5.0, "ingest": 1.0, "supervisord": 1.0}
    assert [r["part"] for r in profiles.ranked(cpu)] == ["kafka", "web", "ingest", "supervisord"]
    assert profiles.ranked(cpu)[0]["share"] == 0.5
    assert profiles.sample_targets(cpu) == ["web", "ingest"]  # never supervisord's whole tree


def test_only_missed_goals_get_a_profile_and_the_goals_table_says_which(monkeypatch):
    monkeypatch.setattr(report, "FIGURES", {})
    report.add("fast", 10, "ms", 8, "lower")
    report.add("wide", 500, "orders/s", 300, "higher")
    report.add("plain", 1, "ms", None, "lower")
    assert [f["name"] for f in profile_report.unmet()] == ["fast"]
    table = "\n".join(profile_report.goals())
    assert (
        "| fast | 10 | ms | 8 | **no** |" in table
        and "| wide | 500 | orders/s | 300 | yes |" in table
    )
    assert "plain" not in table
    lines = profile_report.section({"cpu_ms_per_order": {"web": 6.0, "ingest": 4.0}, "sampled": {}})
    text = "\n".join(lines)
    assert "**web** dominates (60% of all CPU)" in text
    assert report.FIGURES["fast"]["profile"]["cpu_ms_per_order"][0]["part"] == "web"
    assert "profile" not in report.FIGURES["wide"]
