"""The supervisord config run_platform writes, read back by supervisord's own parser."""

from __future__ import annotations

import shlex
from pathlib import Path

from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from wiring.parts import Ports, platform_parts
from wiring.supervisor import socket_path, supervisord_config


def _programs(tmp_path: Path) -> dict[str, object]:
    (tmp_path / "run").mkdir()
    (tmp_path / "log").mkdir()
    config = tmp_path / "run" / "supervisord.conf"
    parts = platform_parts(Ports(), local_kafka=False)
    config.write_text(supervisord_config(parts, tmp_path, Path.cwd()))
    options = ServerOptions()
    options.realize(args=["-c", str(config)])
    return {g.name: g for g in options.process_group_configs}


def test_every_part_is_restarted_whatever_its_exit_and_never_given_up_on(tmp_path):
    for group in _programs(tmp_path).values():
        program = group.process_configs[0]
        assert program.autorestart is RestartUnconditionally
        assert program.startretries >= 1000
        assert program.killasgroup
        assert program.stdout_logfile == str(tmp_path.resolve() / "log" / f"{group.name}.log")


def test_the_stop_order_is_intake_first_and_the_broker_last(tmp_path):
    by_priority = sorted(_programs(tmp_path).values(), key=lambda g: g.priority)
    stop_order = [g.name for g in reversed(by_priority)]
    assert stop_order == [
        "web",
        "venue-SIM-F",
        "venue-SIM-B",
        "venue-SIM-A",
        "ingest",
        "publisher",
        "projector",
        "simulator",
    ]


def test_a_venue_pool_gets_celerys_warm_shutdown_and_its_argv_intact(tmp_path):
    pool = _programs(tmp_path)["venue-SIM-A"].process_configs[0]
    assert not pool.stopasgroup  # TERM to the parent only: the children finish their task
    argv = shlex.split(pool.command)
    assert argv[argv.index("-n") + 1] == "venue-sim-a@%h"  # the % survives supervisord
    assert argv[2:5] == ["wiring.launch", "venue-SIM-A", "--"]  # counted, then exec'd


def test_the_fix_venue_pool_runs_threads_beside_its_one_session(tmp_path):
    programs = _programs(tmp_path)
    fix = shlex.split(programs["venue-SIM-F"].process_configs[0].command)
    assert fix[fix.index("--pool") + 1] == "threads" and "--autoscale" not in fix
    sim = shlex.split(programs["venue-SIM-A"].process_configs[0].command)
    assert sim[sim.index("--pool") + 1] == "prefork"
    simulator = shlex.split(programs["simulator"].process_configs[0].command)
    assert simulator[simulator.index("--fix-port") + 1] == str(Ports().fix)


def test_the_control_socket_fits_af_unix_however_deep_var_dir_is(tmp_path):
    deep = tmp_path / ("d" * 120)
    assert len(str(socket_path(deep))) < 108
    assert socket_path(tmp_path) == tmp_path.resolve() / "run" / "supervisor.sock"
