"""Ingest: evt.venue.execution.report.v1 -> apply_report, in batches.

Delivery: at least once in, exactly-once effect. Offsets are committed only after the
store transaction committed; a replayed report is a duplicate by (venue, exec id). A message
that cannot be parsed goes to the dead-letter topic with its reason, and ingest goes on; a
report that parses but breaks the rules is quarantined in the store with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from infra.store.api import Database
from trading.domain.reports import ExecutionReport
from trading.services.execution import Outcome, apply_reports
from trading.uow import execute

# Decoded straight into the domain's report: the wire shape is the dataclass (decimals as
# strings, times ISO 8601), and msgspec checks every type on the way in.
_decoder = msgspec.json.Decoder(ExecutionReport)


class BadReport(ValueError):
    """The message is not a report we can apply; its reason goes to the dead-letter topic."""


def parse_report(data: bytes) -> ExecutionReport:
    """The report in `data`; BadReport when it is not one (the instrument's rules, sign and
    precision are checked in the store transaction, which quarantines what breaks them)."""
    try:
        report = _decoder.decode(data)
    except msgspec.DecodeError as error:
        raise BadReport(str(error)) from None
    if report.transact_time is not None and report.transact_time.tzinfo is None:
        raise BadReport("transact_time must carry a time zone")
    return report


def apply_batch(db: Database, reports: Sequence[ExecutionReport]) -> list[Outcome]:
    """Apply a batch in one transaction. If it raises, the consume loop splits the batch
    (infra/bus/consume.py) until the one report that fails is found and dead-lettered."""
    now = datetime.now(UTC)
    return execute(db, apply_reports, reports, now)


def handle_messages(db: Database, messages: Sequence[Any]) -> list[tuple[Any, str]]:
    """Parse and apply a batch; returns the messages refused, with their reasons."""
    refused: list[tuple[Any, str]] = []
    reports = []
    for message in messages:
        try:
            reports.append(parse_report(message.value() or b""))
        except BadReport as error:
            refused.append((message, f"unparseable report: {error}"))
    if reports:
        apply_batch(db, reports)
    return refused
