"""Drives wrk with a Lua script that rotates pre-formatted POST requests and reports
p50/p95/p99 as one JSON line, so nothing has to be parsed out of wrk's human output."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

WRK_CORE = "1"
CONNECTIONS = 32
_MARKER = "CGBENCH "
_INSTALL_HINT = "wrk is missing: install it with `apt-get update && apt-get install -y wrk`"

_LUA_TEMPLATE = """
local bodies = {%(bodies)s}
local auths = {%(auths)s}
local encodings = {%(encodings)s}
local reqs = {}
local n = 0
init = function(args)
  for i, body in ipairs(bodies) do
    local headers = {["Content-Type"] = "application/json"}
    if auths[i] ~= "" then headers["Authorization"] = auths[i] end
    if encodings[i] ~= "" then headers["Accept-Encoding"] = encodings[i] end
    reqs[i] = wrk.format("POST", "%(path)s", headers, body)
  end
end
request = function()
  n = n %% #reqs + 1
  return reqs[n]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests":%%d,"duration_us":%%d,"non_2xx":%%d,"socket_errors":%%d,' ..
    '"p50_us":%%.0f,"p95_us":%%.0f,"p99_us":%%.0f,"max_us":%%.0f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadRequest:
    body: bytes
    authorization: str = ""
    accept_encoding: str = ""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get"):
        print("wrk not found: installing the Debian package (apt-get install -y wrk)")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit(_INSTALL_HINT)
    return found


def _lua_string(text: str) -> str:
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def lua_script(requests: Sequence[LoadRequest], path: str) -> str:
    bodies = ",".join(_lua_string(r.body.decode()) for r in requests)
    auths = ",".join(_lua_string(r.authorization) for r in requests)
    encodings = ",".join(_lua_string(r.accept_encoding) for r in requests)
    return _LUA_TEMPLATE % {
        "bodies": bodies,
        "auths": auths,
        "encodings": encodings,
        "path": path,
        "marker": _MARKER,
    }


def run_wrk(
    url: str, requests: Sequence[LoadRequest], seconds: int, connections: int = CONNECTIONS
) -> LoadResult:
    """`url` is the full endpoint (scheme, host, port and path)."""
    wrk = ensure_wrk()
    path = "/" + url.split("/", 3)[3]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(requests, path))
    try:
        command = ["taskset", "-c", WRK_CORE, wrk, "-t1", f"-c{connections}", f"-d{seconds}s"]
        command += ["--timeout", "5s", "-s", script.name, url]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr[-2000:]}")
    finally:
        Path(script.name).unlink(missing_ok=True)
    return _parse(completed.stdout)


def _parse(output: str) -> LoadResult:
    line = next((ln for ln in output.splitlines() if ln.startswith(_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    raw = json.loads(line[len(_MARKER) :])
    seconds = raw["duration_us"] / 1e6
    return LoadResult(
        requests=raw["requests"],
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
    )
