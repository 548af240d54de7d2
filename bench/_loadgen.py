"""The Python load generator ``_load.py`` falls back on when wrk is not installed: the
same closed loop (``concurrency`` connections, one request at a time each, for a fixed
time, never more than MAX_REQUESTS in all) and the same result line, in a process of its
own so its CPU is not the bench's. Slower than wrk: it saturates sooner.

    python bench/_loadgen.py SPEC.json
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

RESULT_MARK = "LOADJSON "
MAX_REQUESTS = 500_000


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    authorizations: list[str] = spec["authorizations"]
    body = spec["body"].encode() if spec["body"] is not None else None
    base_headers = dict(spec["headers"])
    if body is not None:
        base_headers.setdefault("Content-Type", "application/json")
    latencies: list[float] = []
    first_error: list[str] = []
    sent_in_all = [0]
    counts = {"requests": 0, "status_errors": 0, "socket_errors": 0, "graphql_errors": 0}
    connector = aiohttp.TCPConnector(limit=spec["concurrency"])
    timeout = aiohttp.ClientTimeout(total=10)
    started = time.monotonic()
    until = started + spec["seconds"]

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker(offset: int) -> None:
            n = offset * 7919
            while time.monotonic() < until and sent_in_all[0] < MAX_REQUESTS:
                sent_in_all[0] += 1
                n += 1
                headers = dict(base_headers)
                if authorizations:
                    headers["Authorization"] = authorizations[n % len(authorizations)]
                sent = time.perf_counter()
                try:
                    async with session.request(
                        spec["method"], spec["url"], data=body, headers=headers
                    ) as response:
                        text = await response.read()
                        counts["requests"] += 1  # answers, as wrk counts them
                        if response.status > 399:
                            counts["status_errors"] += 1
                        elif spec["graphql"] and b'"errors"' in text:
                            counts["graphql_errors"] += 1
                        else:
                            text = b""
                        if text and not first_error:
                            first_error.append(
                                f"{response.status} {text[:400].decode(errors='replace')}"
                            )
                except (aiohttp.ClientError, TimeoutError) as exc:
                    counts["socket_errors"] += 1
                    if not first_error:
                        first_error.append(repr(exc))
                latencies.append((time.perf_counter() - sent) * 1000)

        await asyncio.gather(*(worker(i) for i in range(spec["concurrency"])))
    ordered = sorted(latencies) or [float("nan")]

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return {
        **counts,
        "first_error": first_error[0] if first_error else "",
        "seconds": time.monotonic() - started,
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
    }


def main() -> None:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    result = asyncio.run(run(spec))
    if result["first_error"]:
        with open(spec["error_file"], "w") as file:
            file.write(result["first_error"])
    print(RESULT_MARK + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
