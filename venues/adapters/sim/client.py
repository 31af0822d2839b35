"""HTTP client of the simulator venue's trading API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class VenueUnavailable(Exception):
    """The venue answered that it is down (503)."""


class OutcomeUnknown(Exception):
    """No answer (timeout, dropped connection): the order may or may not be at the venue."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class VenueClient:
    def __init__(self, base_url: str, venue: str, timeout_s: float = 5.0) -> None:
        self.venue = venue
        self.http = httpx.Client(base_url=base_url, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        try:
            response = self.http.request(method, f"/venues/{self.venue}{path}", json=body)
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise OutcomeUnknown(str(error) or type(error).__name__) from error
        except httpx.ConnectError as error:
            raise VenueUnavailable(f"cannot connect: {error}") from error
        if response.status_code == 503:
            raise VenueUnavailable(response.text[:200])
        try:
            data = response.json()
        except ValueError:
            data = {"text": response.text[:500]}
        return Answer(response.status_code, data if isinstance(data, dict) else {"body": data})

    def place(self, order: dict[str, Any]) -> Answer:
        return self._call("POST", "/orders", order)

    def query(self, client_order_id: str) -> Answer:
        return self._call("GET", f"/orders/{client_order_id}")

    def cancel(self, client_order_id: str) -> Answer:
        return self._call("DELETE", f"/orders/{client_order_id}")
