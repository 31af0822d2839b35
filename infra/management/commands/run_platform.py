"""python manage.py run_platform: what `make run` does after installing.

Migrates, seeds, starts every process under supervisord (infra/supervisor.py), waits until
each answers, prints the URL, the demo accounts and the demo trader's token (also in
var/demo-token), and serves until SIGINT/SIGTERM, which stops every process it started,
intake first. A part that dies is restarted by supervisord; the platform goes on.
"""

import io
import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from infra.management.commands.seed_platform import DEMO_PASSWORD, DEMO_USERS
from infra.supervisor import BIN, Ports, Supervisor, platform_env, platform_parts


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Command(BaseCommand):
    help = "Start the whole platform on this machine (see README)."

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        var_dir = Path(settings.VAR_DIR)
        ports = Ports(
            _port("WEB_PORT", 8000), _port("SIMULATOR_PORT", 8100), _port("KAFKA_PORT", 9092)
        )
        call_command("migrate", interactive=False, verbosity=0)
        out = io.StringIO()
        call_command("seed_platform", stdout=out)
        token = out.getvalue().strip().splitlines()[-1]
        (var_dir / "demo-token").write_text(token + "\n")
        env = platform_env(var_dir, ports)
        env["PLATFORM_RUN_ID"] = uuid.uuid4().hex  # parts count their starts under it
        local_kafka = "KAFKA_BOOTSTRAP_SERVERS" not in os.environ
        supervisor = Supervisor(
            platform_parts(ports, local_kafka=local_kafka), env, var_dir, Path(settings.BASE_DIR)
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            supervisor.start()
            self._banner(ports, token, time.monotonic() - started, var_dir)
            # Tied to this run: a ready file left by a killed run names another pid.
            ready = {"pid": os.getpid(), "run_id": env["PLATFORM_RUN_ID"]}
            (var_dir / "run" / "ready").write_text(json.dumps(ready) + "\n")
            while not stop.wait(1):
                if not supervisor.alive():
                    self.stderr.write(f"supervisord exited: see {var_dir}/log/supervisord.log")
                    break
                for line in supervisor.watch():
                    self.stderr.write(f"{line}: see {var_dir}/log/")
        finally:
            (var_dir / "run" / "ready").unlink(missing_ok=True)
            self.stdout.write("stopping: intake first, the broker last...")
            self.stdout.flush()
            supervisor.stop()
            self.stdout.write("stopped")

    def _banner(self, ports: Ports, token: str, took_s: float, var_dir: Path) -> None:
        url = f"http://127.0.0.1:{ports.web}/"
        ctl = f"{BIN / 'supervisorctl'} -c {var_dir / 'run' / 'supervisord.conf'}"
        lines = [
            f"ready in {took_s:.1f} s: {url}",
            f"  trader   demo / {DEMO_PASSWORD}",
            *[f"  {role:<8} {name} / {DEMO_PASSWORD}" for name, (role, _) in DEMO_USERS.items()],
            f"  API token of the demo trader (also in var/demo-token): {token}",
            f"  venue simulator control: http://127.0.0.1:{ports.simulator}/control/",
            f"  processes (restarted when one dies): {ctl} status",
            "Ctrl-C stops every process.",
        ]
        self.stdout.write("\n".join(lines), ending="\n")
        self.stdout.flush()
