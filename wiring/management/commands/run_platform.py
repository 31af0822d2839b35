"""python manage.py run_platform: what `make run` does after installing.

Migrates, seeds, starts every process under supervisord (wiring/supervisor.py), waits until
each answers, prints the URL, the demo accounts and the demo trader's token (also in
var/demo-token), and serves until SIGINT/SIGTERM, which stops every process it started,
intake first. A part that dies is restarted by supervisord; the platform goes on.
"""

import contextlib
import io
import json
import logging
import os
import signal
import threading
import time
import uuid
import xmlrpc.client
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from infra import console
from wiring.management.commands.seed_platform import DEMO_PASSWORD, DEMO_USERS
from wiring.parts import BIN, Ports, platform_env, platform_parts
from wiring.supervisor import Supervisor


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Command(BaseCommand):
    help = "Start the whole platform on this machine (see README)."

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        var_dir = Path(settings.VAR_DIR)
        ports = Ports(
            _port("WEB_PORT", 8000),
            _port("SIMULATOR_PORT", 8100),
            _port("KAFKA_PORT", 9092),
            _port("FIX_PORT", 8101),
        )
        console.quiet(var_dir)  # libraries' log lines go to var/log/, not the terminal
        console.step("migrating")
        call_command("migrate", interactive=False, verbosity=0)
        console.step("seeding the demo data")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):  # what the seed's sub-commands print, too
            call_command("seed_platform", stdout=out)
        logging.getLogger(__name__).info("seed_platform: %s", out.getvalue())
        token = out.getvalue().strip().splitlines()[-1]
        (var_dir / "demo-token").write_text(token + "\n")
        env = platform_env(var_dir, ports)
        env["PLATFORM_RUN_ID"] = uuid.uuid4().hex  # parts count their starts under it
        local_kafka = "KAFKA_BOOTSTRAP_SERVERS" not in os.environ
        supervisor = Supervisor(
            console.announce(platform_parts(ports, local_kafka=local_kafka)),
            env,
            var_dir,
            Path(settings.BASE_DIR),
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            try:
                supervisor.start()
            except (RuntimeError, OSError, xmlrpc.client.Error):
                if not stop.is_set():
                    raise
                return  # Ctrl-C while starting (supervisord got it too): stop what started
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
        accounts = [("trader", "demo", DEMO_PASSWORD)]
        accounts += [(role, name, DEMO_PASSWORD) for name, (role, _) in DEMO_USERS.items()]
        text = console.banner(
            f"http://127.0.0.1:{ports.web}/",
            token,
            settings.METRICS_TOKEN,
            accounts,
            f"http://127.0.0.1:{ports.simulator}",
            var_dir,
            took_s,
            processes=f"{BIN / 'supervisorctl'} -c {var_dir / 'run' / 'supervisord.conf'} status",
        )
        self.stdout.write(text, ending="\n")
        self.stdout.flush()
