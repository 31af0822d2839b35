"""Manual adjustments by back-office staff, with four eyes above a configured amount.

One submission id per adjustment form: the request record and the journal entry
(`adjustment:<submission id>`) are keyed by it and checked inside the transaction, so a form
submitted again (Back, reload, a double click) posts nothing. An adjustment whose size is over
`approval_over` is recorded `pending`; a second staff member approves it (only then is it
posted, checked again against the balance of that moment) or rejects it.

Keys: ("ledger", "adjustment", <submission id>) -> AdjustmentRequest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from infra.store.api import Transaction
from infra.store.keys import Subspace
from kernel import codec
from kernel.errors import InvalidField
from kernel.money import display, from_minor
from ledger import journal
from ledger.domain.chart import ADJUSTMENTS
from trading.services.reference import deposit, transfer

REQUESTS = Subspace(("ledger", "adjustment"))
COUNTER_ACCOUNT = ADJUSTMENTS
PENDING, POSTED, REJECTED = "pending", "posted", "rejected"


@dataclass(frozen=True)
class AdjustmentRequest:
    submission_id: str
    trader_id: str
    asset: str
    amount: str  # decimal as text, as the journal entry will carry it
    reason: str
    requested_by: str  # username
    requested_at: datetime
    state: str  # pending, posted, rejected
    decided_by: str = ""
    decided_at: datetime | None = None

    @property
    def entry_id(self) -> str:
        return entry_id(self.submission_id)


@dataclass(frozen=True)
class Outcome:
    request: AdjustmentRequest
    repeated: bool  # the submission id was seen before: nothing was done this time


def entry_id(submission_id: str) -> str:
    return f"adjustment:{submission_id}"


def find(tr: Transaction, submission_id: str) -> AdjustmentRequest | None:
    data = tr.get(REQUESTS.pack((submission_id,)))
    return None if data is None else codec.decode(data, AdjustmentRequest)


def pending(tr: Transaction) -> list[AdjustmentRequest]:
    """Every adjustment waiting for a second staff member, oldest first."""
    rng = REQUESTS.range()
    found = [codec.decode(v, AdjustmentRequest) for _, v in tr.get_range(rng.start, rng.stop)]
    return sorted((r for r in found if r.state == PENDING), key=lambda r: r.requested_at)


def request_adjustment(
    tr: Transaction,
    *,
    submission_id: str,
    trader_id: str,
    asset: str,
    amount: object,
    reason: str,
    requested_by: str,
    now: datetime,
    approval_over: Decimal | None,
) -> Outcome:
    """Post the adjustment, or record it pending when |amount| > `approval_over`.

    Refused (InvalidField) as `deposit` refuses, pending or not: an unknown asset, a zero or
    malformed amount, a debit below zero or below the open orders' holds.
    """
    if not submission_id or len(submission_id) > 64:
        raise InvalidField("missing or too long", field="submission_id")
    seen = find(tr, submission_id)
    if seen is not None:
        return Outcome(seen, repeated=True)
    entry = transfer(
        tr,
        entry_id=entry_id(submission_id),
        trader_id=trader_id,
        asset=asset,
        amount=amount,
        now=now,
        memo=reason,
        kind="adjustment",
        counter_account=COUNTER_ACCOUNT,
    )
    (credit,) = [p for p in entry.postings if p.account != COUNTER_ACCOUNT]
    value = from_minor(credit.amount)
    record = AdjustmentRequest(
        submission_id=submission_id,
        trader_id=trader_id,
        asset=credit.asset,
        amount=display(value) or "0",
        reason=reason,
        requested_by=requested_by,
        requested_at=now,
        state=PENDING,
    )
    if approval_over is not None and abs(value) > approval_over:
        journal.check_cover(tr, entry)  # refused now if it could not be posted now
    else:
        _post(tr, record, now)
        record = replace(record, state=POSTED, decided_by=requested_by, decided_at=now)
    _save(tr, record)
    return Outcome(record, repeated=False)


def decide(
    tr: Transaction, *, submission_id: str, approve: bool, decided_by: str, now: datetime
) -> Outcome:
    """Approve (post) or reject a pending adjustment; a decided one is left as it is."""
    record = find(tr, submission_id)
    if record is None:
        raise InvalidField("no such adjustment", field="submission_id")
    if record.state != PENDING:
        return Outcome(record, repeated=True)
    if approve and decided_by == record.requested_by:
        raise InvalidField(
            "four eyes: a second staff member must approve an adjustment you requested",
            field="non_field_errors",
        )
    if approve:
        _post(tr, record, now)
    record = replace(
        record, state=POSTED if approve else REJECTED, decided_by=decided_by, decided_at=now
    )
    _save(tr, record)
    return Outcome(record, repeated=False)


def _post(tr: Transaction, record: AdjustmentRequest, now: datetime) -> None:
    deposit(
        tr,
        entry_id=record.entry_id,
        trader_id=record.trader_id,
        asset=record.asset,
        amount=record.amount,
        now=now,
        memo=record.reason,
        kind="adjustment",
        counter_account=COUNTER_ACCOUNT,
    )


def _save(tr: Transaction, record: AdjustmentRequest) -> None:
    tr.set(REQUESTS.pack((record.submission_id,)), codec.encode(record))
