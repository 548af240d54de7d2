"""Self-check of the django-helpdesk peer: start it, create 20 tickets, fetch each one
both ways, print the status codes and mean latencies, stop it. Not part of the test suite.

    python bench/peers/check_helpdesk.py                  # the check
    python bench/peers/check_helpdesk.py --load 10        # and a rough closed-loop load

The PostgreSQL server is $CAREPLANE_TEST_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); the peer gets its own ``bench_helpdesk``
database on it. ``--load`` runs ``--concurrency`` threads, each sending one request at a
time for that many seconds (and never more than 100 000 in all): creates, then fetches of
the tickets just created with helpdesk's own fetch and with the direct one. Standard
library only, so it runs under any python3.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable

from helpdesk_peer import HelpdeskPeer, running_helpdesk

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MAX_REQUESTS = 100_000

Call = Callable[[int], tuple[int, bytes]]


def request(
    peer: HelpdeskPeer, method: str, path: str, body: dict[str, object] | None = None
) -> tuple[int, bytes]:
    """One request on a fresh connection (gunicorn's sync workers close it after each)."""
    port = int(peer.base_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {**peer.headers, "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed(call: Call, n: int) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    status, body = call(n)
    return status, body, (time.perf_counter() - started) * 1000


def creating(peer: HelpdeskPeer) -> Call:
    return lambda n: request(peer, "POST", peer.create_path, peer.ticket_body(n))


def fetching(peer: HelpdeskPeer, ids: list[int], *, direct: bool) -> Call:
    return lambda n: request(peer, "GET", peer.fetch_path(ids[n % len(ids)], direct=direct))


def check(peer: HelpdeskPeer, count: int = 20) -> list[int]:
    """``count`` creates and a fetch of each ticket both ways; returns the created ids."""
    created = [timed(creating(peer), n) for n in range(count)]
    report("create", created)
    ids = [json.loads(body)["id"] for _, body, _ in created]
    for direct in (False, True):
        fetched = [timed(fetching(peer, ids, direct=direct), n) for n in range(count)]
        report(fetch_label(direct), fetched)
        if [json.loads(body)["id"] for _, body, _ in fetched] != ids:
            raise SystemExit("the fetched tickets are not the ones created")
    return ids


def fetch_label(direct: bool) -> str:
    return "fetch (direct)" if direct else "fetch (helpdesk's own)"


def report(label: str, results: list[tuple[int, bytes, float]]) -> None:
    statuses = sorted({status for status, _, _ in results})
    mean = statistics.fmean(ms for _, _, ms in results)
    print(f"{label}: statuses {statuses} x{len(results)}, mean {mean:.1f} ms")
    bad = [body[:300] for status, body, _ in results if status >= 400]
    if bad:
        raise SystemExit(f"{label} failed: {bad[0]!r}")


def load(label: str, call: Call, ok: int, concurrency: int, seconds: float) -> None:
    """Closed loop: ``concurrency`` threads, one request at a time each, for ``seconds``."""
    counter = itertools.count()
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < until:
            n = next(counter)
            if n >= MAX_REQUESTS:
                return
            try:
                status, _, ms = timed(call, n)
            except (OSError, http.client.HTTPException):
                status, ms = 0, 0.0
            with lock:
                latencies.append(ms)
                if status != ok:
                    errors.append(status)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if not latencies:
        print(f"{label}: no request completed in {elapsed:.1f} s")
        return
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"{label}: {len(latencies) / elapsed:,.1f} requests/s, p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms ({len(latencies)} requests, {len(errors)} errors "
        f"{sorted(set(errors))}, c={concurrency}, {elapsed:.1f} s)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CAREPLANE_TEST_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--load", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    with running_helpdesk(args.database_url, args.port or free_port()) as peer:
        print(f"peer ready in {peer.seconds_to_ready:.1f} s at {peer.base_url}, pids {peer.pids()}")
        ids = check(peer)
        if args.load > 0:
            load("create", creating(peer), 201, args.concurrency, args.load)
            for direct in (True, False):
                load(
                    fetch_label(direct),
                    fetching(peer, ids, direct=direct),
                    200,
                    args.concurrency,
                    args.load,
                )


if __name__ == "__main__":
    main()
