"""Closed-loop HTTP load for the benches: wrk when it is installed (``make bench`` installs
the Debian package when it runs as root), else ``_loadgen.py``, a Python generator in a
process of its own. Either way the generator runs for a fixed time, stops by itself, and
its CPU is its own process's (the caller's CPU readings take it off the machine's).

Each request may carry the next of several Authorization values in turn, so a load is
spread over many principals the way many callers would send it (the gateway's rate
limits count per principal). A GraphQL answer with ``errors`` counts as an error; the
first failed answer is kept for the report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
RESULT_MARK = "LOADJSON "
ERROR_FILE = "first-error"  # the first failed answer each thread (or worker) saw
THREADS = 2

_LUA = r"""
local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  return lines
end
local auths = read_lines(%(auth_file)s)
local body = nil
if %(body_file)s ~= "" then
  local file = io.open(%(body_file)s, "rb"); body = file:read("*a"); file:close()
end
local headers = %(headers)s
local graphql = %(graphql)s
local error_file = %(error_file)s
local captured = false
local n = 0
local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

function init(args)
  n = (thread_id or 1) * 7919
  graphql_errors = 0
end

function request()
  n = n + 1
  if #auths > 0 then headers["Authorization"] = auths[(n %% #auths) + 1] end
  return wrk.format(%(method)s, %(path)s, headers, body)
end

function response(status, response_headers, response_body)
  local bad = status > 399
  if not bad and graphql and response_body and string.find(response_body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
    bad = true
  end
  if bad and not captured then
    captured = true
    local file = io.open(error_file .. "." .. tostring(thread_id or 0), "w")
    if file then
      file:write(tostring(status) .. " " .. string.sub(response_body or "", 1, 400)); file:close()
    end
  end
end

function done(summary, latency, requests)
  local graphql = 0
  for _, thread in ipairs(threads) do graphql = graphql + (thread:get("graphql_errors") or 0) end
  local errors = summary.errors
  io.write(string.format(
    "%(mark)s{\"requests\": %%d, \"seconds\": %%.3f, \"status_errors\": %%d, "
    .. "\"socket_errors\": %%d, \"graphql_errors\": %%d, \"p50_ms\": %%.3f, \"p99_ms\": %%.3f}\n",
    summary.requests, summary.duration / 1e6, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout, graphql,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class Call:
    """What every request of a load sends."""

    method: str
    url: str
    authorizations: Sequence[str] = ()
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    graphql: bool = False


@dataclass
class LoadResult:
    """A load's outcome. ``rate`` counts only answers without an error: a fast failure
    is no throughput."""

    requests: int  # answers received
    failed: int  # of them, a 4xx/5xx status or a GraphQL answer with errors
    socket_errors: int  # connections refused, reset or timed out (no answer)
    seconds: float
    p50_ms: float
    p99_ms: float
    generator: str
    error_sample: str = ""  # status and start of the body of one failed answer

    @property
    def ok(self) -> int:
        return max(self.requests - self.failed, 0)

    @property
    def errors(self) -> int:
        return self.failed + self.socket_errors

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def line(self, label: str) -> str:
        text = (
            f"{label}: {rate_text(self.rate)}, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms "
            f"({self.ok} ok, {self.failed} failed, {self.socket_errors} socket errors, "
            f"{self.seconds:.1f} s)"
        )
        if self.error_sample:
            text += f"\n  one failed answer: {self.error_sample}"
        return text


def rate_text(rate: float) -> str:
    """Requests per second, with a decimal when there are few."""
    return f"{rate:,.1f}/s" if rate < 10 else f"{rate:,.0f}/s"


def generator_name() -> str:
    return "wrk" if shutil.which("wrk") else "python (_loadgen.py)"


def run_load(call: Call, *, seconds: float, concurrency: int = 16) -> LoadResult:
    """``concurrency`` connections, each sending one request at a time, for ``seconds``."""
    with tempfile.TemporaryDirectory(prefix="careplane-load-") as folder:
        work = Path(folder)
        if shutil.which("wrk"):
            output = _run_wrk(call, seconds, concurrency, work)
            generator = "wrk"
        else:
            output = _run_python(call, seconds, concurrency, work)
            generator = "python"
        samples = sorted(work.glob(f"{ERROR_FILE}.*"))
        error_sample = samples[0].read_text(errors="replace").replace("\n", " ") if samples else ""
    line = next((x for x in output.splitlines() if x.startswith(RESULT_MARK)), None)
    if line is None:
        raise RuntimeError(f"the load generator printed no result:\n{output[-2000:]}")
    data = json.loads(line[len(RESULT_MARK) :])
    return LoadResult(
        requests=data["requests"],
        failed=data["status_errors"] + data["graphql_errors"],
        socket_errors=data["socket_errors"],
        seconds=data["seconds"],
        p50_ms=data["p50_ms"],
        p99_ms=data["p99_ms"],
        generator=generator,
        error_sample=error_sample[:300],
    )


def _files(call: Call, work: Path) -> tuple[Path, Path | None]:
    auth_file = work / "authorizations.txt"
    auth_file.write_text("".join(f"{value}\n" for value in call.authorizations))
    body_file = None
    if call.body is not None:
        body_file = work / "body"
        body_file.write_text(call.body)
    return auth_file, body_file


def _lua_table(values: Mapping[str, str]) -> str:
    items = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in values.items())
    return "{" + items + "}"


def _run_wrk(call: Call, seconds: float, concurrency: int, work: Path) -> str:
    auth_file, body_file = _files(call, work)
    url = urlsplit(call.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = {"Content-Type": "application/json", **call.headers} if call.body else call.headers
    script = work / "load.lua"
    script.write_text(
        _LUA
        % {
            "auth_file": json.dumps(str(auth_file)),
            "body_file": json.dumps(str(body_file or "")),
            "headers": _lua_table(headers),
            "method": json.dumps(call.method),
            "path": json.dumps(path),
            "graphql": "true" if call.graphql else "false",
            "error_file": json.dumps(str(work / ERROR_FILE)),
            "mark": RESULT_MARK,
        }
    )
    command = [
        "wrk", "-t", str(min(THREADS, concurrency)), "-c", str(concurrency),
        "-d", f"{seconds:.0f}s", "--timeout", "10s", "-s", str(script),
        f"{url.scheme}://{url.netloc}",
    ]  # fmt: skip
    return _run(command, seconds)


def _run_python(call: Call, seconds: float, concurrency: int, work: Path) -> str:
    spec = work / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "method": call.method,
                "url": call.url,
                "authorizations": list(call.authorizations),
                "body": call.body,
                "headers": dict(call.headers),
                "graphql": call.graphql,
                "seconds": seconds,
                "concurrency": concurrency,
                "error_file": str(work / f"{ERROR_FILE}.0"),
            }
        )
    )
    return _run([sys.executable, str(HERE / "_loadgen.py"), str(spec)], seconds)


def _run(command: list[str], seconds: float) -> str:
    result = subprocess.run(  # noqa: S603 - our generator, our arguments
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout
