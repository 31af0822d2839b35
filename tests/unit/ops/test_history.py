"""The ops page's last hour per queue: kept for an hour, drawn as two small lines."""

from backoffice.ops.history import History, sparkline


def test_the_history_keeps_the_last_hour_only():
    history = History(keep_s=3600)
    history.add("venue.SIM-A", 3, 1.5, at=1000.0)
    history.add("venue.SIM-A", None, None, at=2000.0)  # nothing waiting: 0, 0
    history.add("venue.SIM-A", 7, 4.0, at=4700.0)  # the first reading is now too old
    assert history.of("venue.SIM-A") == [(2000.0, 0, 0.0), (4700.0, 7, 4.0)]
    assert history.of("unknown") == []


def test_the_sparkline_says_what_it_draws():
    assert "collecting" in sparkline([(0.0, 1, 1.0)])
    drawn = sparkline([(0.0, 0, 0.0), (1800.0, 12, 2.5), (3600.0, 1_200, 6.0)])
    assert drawn.count("<polyline") == 2
    assert "last 60 min: depth up to 1,200, oldest up to 6.0 s (now 1,200, 6.0 s)" in drawn
