"""The reference GraphQL-over-HTTP audit, graphql-http's `auditServer`, against the real
gateway on a loopback socket: every audit, a MUST, a SHOULD or a MAY, passes. The audit is the npm
package pinned in tests/graphql_http/package-lock.json (`npm ci --prefix tests/graphql_http`,
which .ci/run does), run by Node.js through tests/graphql_http/audit.mjs; its queries are
`{ __typename }` and the like, so nothing is seeded."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from datasources.backends import Backends
from gateway import create_app
from settings import Settings
from tests import servers
from tests.conftest import JWT_SECRET
from tests.live_server import serving

AUDIT_DIR = Path(__file__).resolve().parent / "graphql_http"
AUDIT_SCRIPT = AUDIT_DIR / "audit.mjs"
NODE = shutil.which("node")
AUDIT_INSTALLED = NODE is not None and (AUDIT_DIR / "node_modules" / "graphql-http").is_dir()
TIMEOUT_SECONDS = 120
# graphql-http 1.23.1 runs 61 audits; fewer than this means the audit did not really run.
AT_LEAST = 40


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The embedded default only: the HTTP layer the audit checks is the same on every
    backend."""
    return Settings(data_dir=tmp_path, embedded_shards=2, jwt_secret=JWT_SECRET)


async def _audit(url: str) -> list[dict[str, Any]]:
    """Every audit's {id, name, status, reason}, as audit.mjs prints them."""
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(AUDIT_SCRIPT),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "GRAPHQL_HTTP_DIR": str(AUDIT_DIR)},
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"graphql-http's audit of {url} took more than {TIMEOUT_SECONDS} s")
    errors = stderr.decode(errors="replace").strip()
    assert process.returncode == 0, f"audit.mjs exited {process.returncode}: {errors}"
    try:
        results: list[dict[str, Any]] = json.loads(stdout)
    except json.JSONDecodeError as error:
        pytest.fail(f"audit.mjs printed no JSON ({error}): {stdout!r} {errors}")
    return results


async def test_the_graphql_over_http_audit_finds_nothing_to_fix(
    settings: Settings, backends: Backends
) -> None:
    servers.require(
        AUDIT_INSTALLED,
        "Node.js with graphql-http (Debian packages nodejs and npm, then"
        " `npm ci --prefix tests/graphql_http --no-audit --no-fund`)",
    )
    async with serving(create_app(settings, backends)) as base_url:
        results = await _audit(f"{base_url}/graphql")

    assert len(results) >= AT_LEAST, f"only {len(results)} audits ran: {results}"
    # Every audit passes: the MUSTs (error), the SHOULDs (warn) and the MAYs (notice) alike.
    failed = sorted(
        (result for result in results if result["status"] != "ok"),
        key=lambda result: str(result["id"]),
    )
    assert failed == [], "\n".join(
        [f"graphql-http's audit of /graphql: {len(failed)} of {len(results)} not ok"]
        + [
            f"  {result['status']} {result['id']} {result['name']}: {result['reason']}"
            for result in failed
        ]
    )
