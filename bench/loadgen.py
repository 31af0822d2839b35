"""The bench's HTTP load generator, run in a process of its own (`python -m bench.loadgen`).

Raw HTTP/1.1 keep-alive connections on asyncio (uvloop when there): a few microseconds of
Python per request, so the generator stays a small share of the 2 cores it shares with the
server. Two modes: closed loop (`--connections` requests in flight for `--seconds` or
`--count` requests) and paced (`--rate` requests/s on at most `--connections` connections).
Prints one JSON object: counts, statuses, rps, latency percentiles and (with `--record`) each
request's `[wall time sent, wall time answered, status, order_id]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any


def _pct(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else None


class Connection:
    def __init__(self, host: str, port: int, headers: str) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.headers}"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin1").partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and "close" in value.lower():
                close = True
        if chunked:
            parts = []
            while size := int((await self.reader.readline()).strip(), 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, data


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        headers = "".join(f"{h}\r\n" for h in args.header)
        self.pool = [Connection(args.host, args.port, headers) for _ in range(args.connections)]
        self.free: asyncio.Queue[Connection] = asyncio.Queue()
        for connection in self.pool:
            self.free.put_nowait(connection)
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.records: list[list[Any]] = []
        self.errors = 0
        self.sent = 0

    def _body(self) -> bytes:
        if not self.args.body:
            return b""
        self.sent += 1
        body: str = self.args.body
        return body.replace("{n}", f"{self.args.prefix}{self.sent}").encode()

    async def one(self) -> None:
        connection = await self.free.get()
        body = self._body()
        sent_wall, started = time.time(), time.perf_counter()
        try:
            status, data = await connection.request(self.args.method, self.args.path, body)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            self.errors += 1
            connection.writer = None
            self.free.put_nowait(connection)
            return
        took = (time.perf_counter() - started) * 1000
        self.free.put_nowait(connection)
        self.latencies.append(took)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.args.record:
            order_id = None
            if data[:1] == b"{":
                order_id = json.loads(data).get("order_id")
            self.records.append([sent_wall, time.time(), status, order_id])

    async def closed_loop(self) -> None:
        deadline = time.perf_counter() + self.args.seconds
        remaining = [self.args.count or 0]

        async def worker() -> None:
            while time.perf_counter() < deadline:
                if self.args.count:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                await self.one()

        await asyncio.gather(*(worker() for _ in range(self.args.connections)))

    async def paced(self) -> None:
        interval = 1 / self.args.rate
        started = time.perf_counter()
        tasks = []
        total = int(self.args.rate * self.args.seconds)
        for n in range(total):
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(self.one()))
        await asyncio.gather(*tasks)

    async def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        await (self.paced() if self.args.rate else self.closed_loop())
        elapsed = time.perf_counter() - started
        return {
            "count": len(self.latencies),
            "errors": self.errors,
            "statuses": self.statuses,
            "elapsed_s": elapsed,
            "rps": len(self.latencies) / elapsed if elapsed else 0.0,
            "p50_ms": _pct(self.latencies, 0.5),
            "p99_ms": _pct(self.latencies, 0.99),
            "records": self.records,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body", default="", help="JSON body; {n} becomes a unique number")
    parser.add_argument("--prefix", default="b", help="prefix of the {n} numbers")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(Load(args).run())
    else:
        result = uvloop.run(Load(args).run())
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
