"""Place, cancel and ask about attempts at a FIX venue (SIM-F) over its session.

The same contract as the SIM adapter (venues/adapters/sim/adapter.py), so the Celery tasks and
the reconciler do not know which protocol a venue speaks: a place with no answer is settled by
an OrderStatusRequest (35=H), never by sending it again; what the venue cannot report (the
session is down before anything left) the adapter reports itself as a synthetic `rejected`.
Execution reports reach Kafka from the session's reader thread, whichever thread placed them.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from venues.adapters.fix import wire
from venues.adapters.fix.parse import DUPLICATE_ORDER, exec_type, parse_to_report, status_body
from venues.adapters.fix.session import FixSession, NotLoggedOn
from venues.adapters.fix.wire import Message, MsgType
from venues.adapters.sim.adapter import CancelNotDelivered, CancelTooEarly
from venues.adapters.sim.client import Answer, OutcomeUnknown, VenueUnavailable
from venues.adapters.sim.parse import synthetic_report

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
ANSWER_TIMEOUT_S = 5.0  # as the HTTP client's timeout: the fence in venues/recovery/timing.py
LOGON_WAIT_S = 5.0  # a command that finds the session reconnecting waits this long for it


class Waiters:
    """Messages awaited by key (a ClOrdID, an OrdStatusReqID), from the reader thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, queue.Queue[Message]] = {}

    def expect(self, key: str, into: queue.Queue[Message] | None = None) -> queue.Queue[Message]:
        with self._lock:
            return self._queues.setdefault(key, into or queue.Queue())

    def forget(self, key: str) -> None:
        with self._lock:
            self._queues.pop(key, None)

    def deliver(self, key: str | None, message: Message) -> None:
        with self._lock:
            waiting = self._queues.get(key or "")
        if waiting is not None:
            waiting.put(message)


class FixAdapter:
    def __init__(
        self,
        session_factory: Callable[[FixAdapter], FixSession],
        emit: Emit,
        flush: Callable[[], None],
        on_quote: Callable[[Message], None] = lambda message: None,
    ) -> None:
        self.emit, self.flush, self.on_quote = emit, flush, on_quote
        self.waiters = Waiters()
        self.session = session_factory(self)

    @property
    def venue(self) -> str:
        return self.session.venue

    # --- from the session's reader ----------------------------------------------------------

    def on_message(self, message: Message) -> None:
        """Reports to Kafka (acknowledged before the session counts them), answers to waiters,
        books to the router's quotes."""
        kind = message.msg_type
        if kind == MsgType.EXECUTION_REPORT:
            self._on_report(message)
        elif kind == MsgType.ORDER_CANCEL_REJECT:
            self.waiters.deliver(message.get(wire.CL_ORD_ID), message)
        elif kind == MsgType.MARKET_DATA_SNAPSHOT:
            self.on_quote(message)
        else:
            log.info("%s: %s not handled: %s", self.venue, kind, message)

    def _on_report(self, message: Message) -> None:
        try:
            kind = exec_type(message)
        except ValueError as error:
            log.warning("%s: %s: %s", self.venue, error, message)
            return
        if kind == "order_status":
            self.waiters.deliver(message.get(wire.ORD_STATUS_REQ_ID), message)
            return
        coid = message.get(wire.CL_ORD_ID)
        if message.get(wire.ORD_REJ_REASON) != DUPLICATE_ORDER:  # a duplicate changes nothing
            try:
                self.emit(parse_to_report(self.venue, message))
            except ValueError as error:
                log.warning("%s: report not for the platform: %s (%s)", self.venue, error, message)
            self.flush()
        self.waiters.deliver(coid, message)

    # --- commands ---------------------------------------------------------------------------

    def _ready(self) -> None:
        if not self.session.logged_on.wait(LOGON_WAIT_S):
            raise VenueUnavailable(f"{self.venue} FIX session is not logged on")

    def _send(self, msg_type: str, fields: wire.Fields) -> None:
        try:
            self.session.send(msg_type, fields)
        except NotLoggedOn as error:
            raise VenueUnavailable(str(error)) from error
        except OSError as error:
            raise OutcomeUnknown(f"send failed: {error}") from error

    def _ask(self, key: str, msg_type: str, fields: wire.Fields) -> Message:
        """Send and wait for the first message for `key`."""
        answers = self.waiters.expect(key)
        try:
            self._send(msg_type, fields)
            try:
                return answers.get(timeout=ANSWER_TIMEOUT_S)
            except queue.Empty:
                raise OutcomeUnknown(f"no answer from {self.venue} for {key}") from None
        finally:
            self.waiters.forget(key)

    def place(
        self,
        command: dict[str, Any],
        send_before: datetime | None = None,
        ask_first: bool = False,
    ) -> str:
        """Send one attempt as a NewOrderSingle; what happened, as the SIM adapter says it."""
        coid = command["client_order_id"]
        try:
            self._ready()
            if ask_first and self.query(coid).status == 200:
                return "known"  # a redelivered command: its reports come on the session
            if send_before is not None and datetime.now(UTC) >= send_before:
                log.warning("%s: %s not sent, past its send deadline", self.venue, coid)
                return "late"
            answer = self._ask(coid, MsgType.NEW_ORDER_SINGLE, _order_fields(command))
        except OutcomeUnknown as error:
            log.warning(
                "%s: outcome of %s unknown (%s): left to reconciliation", self.venue, coid, error
            )
            return "unknown"
        except VenueUnavailable as error:
            if ask_first:
                return "unknown"
            self.emit(synthetic_report(self.venue, coid, "rejected", f"venue down: {error}"))
            self.flush()
            return "down"
        if answer.get(wire.ORD_REJ_REASON) == DUPLICATE_ORDER:
            return "known"
        return "rejected" if exec_type(answer) == "rejected" else "sent"

    def cancel(self, command: dict[str, Any]) -> str:
        """OrderCancelRequest; its answer is the canceled report (the order's ClOrdID) or an
        OrderCancelReject (the cancel's own ClOrdID)."""
        coid = command["client_order_id"]
        cancel_id = f"{coid}:cancel-{uuid.uuid4().hex[:8]}"
        fields = [
            (wire.ORIG_CL_ORD_ID, coid),
            (wire.CL_ORD_ID, cancel_id),
            (wire.TRANSACT_TIME, wire.fix_time()),
        ]
        answers: queue.Queue[Message] = queue.Queue()
        self.waiters.expect(coid, answers)
        self.waiters.expect(cancel_id, answers)
        try:
            self._ready()
            self._send(MsgType.ORDER_CANCEL_REQUEST, fields)
            while True:
                answer = answers.get(timeout=ANSWER_TIMEOUT_S)
                if answer.msg_type == MsgType.ORDER_CANCEL_REJECT:
                    if answer.get(wire.CXL_REJ_REASON) == "1":
                        raise CancelTooEarly(f"{self.venue} does not know {coid} yet")
                    return "already-ended"
                if exec_type(answer) == "canceled":
                    return "canceled"
        except (VenueUnavailable, OutcomeUnknown, queue.Empty) as error:
            raise CancelNotDelivered(f"cancel of {coid} not delivered: {error}") from error
        finally:
            self.waiters.forget(coid)
            self.waiters.forget(cancel_id)

    def query(self, client_order_id: str) -> Answer:
        """OrderStatusRequest: (200, the order with its fills) or (404); VenueUnavailable when
        the session is down, OutcomeUnknown when no answer came."""
        self._ready()
        request_id = f"S-{uuid.uuid4().hex[:12]}"
        answers = self.waiters.expect(request_id)
        got: list[Message] = []
        try:
            self._send(
                MsgType.ORDER_STATUS_REQUEST,
                [(wire.CL_ORD_ID, client_order_id), (wire.ORD_STATUS_REQ_ID, request_id)],
            )
            while not got or got[-1].get(wire.LAST_RPT_REQUESTED) != "Y":
                try:
                    got.append(answers.get(timeout=ANSWER_TIMEOUT_S))
                except queue.Empty:
                    what = f"status of {client_order_id}"
                    raise OutcomeUnknown(f"{self.venue}: no whole answer for {what}") from None
        finally:
            self.waiters.forget(request_id)
        status, body = status_body(got)
        return Answer(status, body)


def _order_fields(command: dict[str, Any]) -> wire.Fields:
    kind = command.get("type", "limit")
    fields = [
        (wire.CL_ORD_ID, command["client_order_id"]),
        (wire.SYMBOL, command["instrument"]),
        (wire.SIDE, wire.SIDES[command["side"]]),
        (wire.TRANSACT_TIME, wire.fix_time()),
        (wire.ORDER_QTY, str(command["quantity"])),
        (wire.ORD_TYPE, wire.ORD_TYPES[kind]),
        (wire.TIME_IN_FORCE, wire.TIMES_IN_FORCE[command.get("time_in_force", "IOC")]),
    ]
    if kind == "limit":
        fields.append((wire.PRICE, str(command["price"])))
    return fields
