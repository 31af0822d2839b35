#!/usr/bin/env python
"""Django's command-line utility for the back office."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] == ["run_platform"]:  # `make run`: per-install secrets before the settings
        from infra.install_secrets import install

        install()

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
