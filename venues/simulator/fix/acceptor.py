"""SIM-F's FIX 4.4 acceptor: its application messages handed to the venue (orders, cancels,
status requests, market data), and the venue's reports numbered for the session that placed
the order.

Execution reports are recorded in the venue's own transaction (Venue.journal) and written once
it committed; they are kept for a ResendRequest, and numbered for their session whether or not
it is logged on now, so a session that comes back sees the gap and asks for them.
"""

from __future__ import annotations

import logging
from typing import Any

from venues.adapters.fix import wire
from venues.adapters.fix.wire import Message, MsgType
from venues.simulator.fix import trading
from venues.simulator.fix.session import Connection, SessionLayer
from venues.simulator.fix.store import FixStore
from venues.simulator.orders import BadOrder
from venues.simulator.venue import CancelResult, Venue, VenueFull

log = logging.getLogger(__name__)

OTHER_REJECT = "99"  # OrdRejReason


class Acceptor(SessionLayer):
    def __init__(self, venue: Venue, store: FixStore) -> None:
        super().__init__(venue, store)
        self._unsent: list[tuple[str, bytes]] = []
        venue.journal = self

    def record(self, messages: list[dict[str, Any]]) -> None:
        """Venue.journal, inside the venue's transaction: each report of an order placed over
        FIX takes its session's next MsgSeqNum and is kept; book changes go to subscribers."""
        for message in messages:
            if message["type"] == "execution_report":
                comp = self.store.owner(message["client_order_id"])
                order = self.venue.order(message["client_order_id"])
                if comp is None or order is None:
                    continue
                fields = trading.report_fields(message, order)
                self._unsent.append(
                    (comp, self._encode(comp, MsgType.EXECUTION_REPORT, fields, True))
                )
            elif message["type"] == "book":
                for conn in self.connections.values():
                    if message["instrument"] in conn.md_instruments:
                        book = {"asks": message["asks"], "bids": message["bids"]}
                        fields = trading.snapshot(conn.md_request_id, message["instrument"], book)
                        data = self._encode(conn.comp, MsgType.MARKET_DATA_SNAPSHOT, fields, False)
                        self._unsent.append((conn.comp, data))

    def release(self) -> None:
        """Venue.journal, once the venue committed: what record() took goes out."""
        unsent, self._unsent = self._unsent, []
        for comp, data in unsent:
            conn = self.connections.get(comp)
            if conn is not None:
                conn.write(data)

    def _application(self, conn: Connection, message: Message) -> bool:
        kind = message.msg_type
        if kind == MsgType.NEW_ORDER_SINGLE:
            self._new_order(conn, message)
        elif kind == MsgType.ORDER_CANCEL_REQUEST:
            self._cancel(conn, message)
        elif kind == MsgType.ORDER_STATUS_REQUEST:
            self._status(conn, message)
        elif kind == MsgType.MARKET_DATA_REQUEST:
            self._market_data(conn, message)
        else:
            return False
        return True

    # --- trading --------------------------------------------------------------------------

    def _exec_id(self) -> str:
        """Ids of the acceptor's own reports (refusals, status answers): SIM-F-X-<session>-n."""
        key = f"{self.venue.name}:X"
        value = int(self.store.file.meta(key) or 0) + 1
        self.store.file.set_meta(key, str(value))
        return f"{self.venue.name}-X-{self.venue.session}-{value:06d}"

    def _new_order(self, conn: Connection, message: Message) -> None:
        coid = message.get(wire.CL_ORD_ID) or "NONE"
        if self.venue.order(coid) is not None:
            refusal = trading.refusal(
                coid, self._exec_id(), "duplicate ClOrdID", trading.DUPLICATE_ORDER
            )
            self.send(conn.comp, MsgType.EXECUTION_REPORT, refusal)
            return
        try:
            request = trading.order_request(message)
            self.store.set_owner(coid, conn.comp)
            self.venue.place(request)  # its reports come through record() and release()
        except (BadOrder, VenueFull) as error:
            refusal = trading.refusal(coid, self._exec_id(), str(error), OTHER_REJECT)
            self.send(conn.comp, MsgType.EXECUTION_REPORT, refusal)

    def _cancel(self, conn: Connection, message: Message) -> None:
        orig = message.get(wire.ORIG_CL_ORD_ID) or ""
        result, order = self.venue.cancel(orig)
        if result is CancelResult.CANCELED:
            return  # the canceled report comes through record() and release()
        status = order.status.value if order is not None else "rejected"
        fields = trading.cancel_reject(
            message.get(wire.CL_ORD_ID) or "NONE", orig, status, result is CancelResult.UNKNOWN
        )
        self.send(conn.comp, MsgType.ORDER_CANCEL_REJECT, fields)

    def _status(self, conn: Connection, message: Message) -> None:
        coid = message.get(wire.CL_ORD_ID) or ""
        request_id = message.get(wire.ORD_STATUS_REQ_ID) or ""
        order = self.venue.order(coid)
        if order is None:
            answers = [
                trading.refusal(
                    coid, self._exec_id(), "unknown order", trading.UNKNOWN_ORDER, request_id
                )
            ]
        else:
            answers = trading.status_answer(order, request_id, self._exec_id())
        for fields in answers:
            self.send(conn.comp, MsgType.EXECUTION_REPORT, fields)

    def _market_data(self, conn: Connection, message: Message) -> None:
        request_id = message.get(wire.MD_REQ_ID) or ""
        kind = message.get(wire.SUBSCRIPTION_REQUEST_TYPE) or "0"
        symbols = message.all(wire.SYMBOL)
        if kind == "2":
            conn.md_instruments -= set(symbols)
            return
        for symbol in symbols:
            book = self.venue.book(symbol)
            if book is None:
                continue
            if kind == "1":
                conn.md_instruments.add(symbol)
                conn.md_request_id = request_id
            self.send(
                conn.comp,
                MsgType.MARKET_DATA_SNAPSHOT,
                trading.snapshot(request_id, symbol, book.to_wire()),
            )
