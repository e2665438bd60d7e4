"""The Prometheus rules in monitoring/: `promtool check rules` accepts alerts.yml, and the unit
tests of monitoring/alerts_test.yml pass (each alert fires once its condition has held for its
`for`, and not before or just under its threshold), and the gateway's /metrics has every series
they read. promtool is Debian's `prometheus` package, which .ci/run installs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from datasources.backends import Backends
from jobs.metrics_sampler import sample_pools
from settings import Settings
from tests import servers

ROOT = Path(__file__).resolve().parent.parent
RULES = Path("monitoring/alerts.yml")
RULE_TESTS = Path("monitoring/alerts_test.yml")
PROMTOOL = shutil.which("promtool")
TIMEOUT_SECONDS = 120

# What alerts.yml reads from the gateway's /metrics. A metric renamed in the code, or a rule
# reading a new one, shows up here: change both together.
EXPECTED_METRICS = {
    "coursegate_cache_lookups_total",
    "coursegate_db_connections_in_use",
    "coursegate_db_pool_size",
    "coursegate_database_unreachable",
    "coursegate_event_backlog",
    "coursegate_graphql_errors_total",
    "coursegate_rate_limits_local",
    "coursegate_request_duration_seconds_bucket",
    "coursegate_request_duration_seconds_count",
    "coursegate_search_duration_seconds_bucket",
}
# Exported by the MariaDB engines only: the embedded databases are files of the process.
PRODUCTION_ONLY_METRICS = {"coursegate_database_unreachable"}
# Alertmanager routes and silences match these names.
EXPECTED_ALERTS = {
    "CoursegateCacheHitRateLow",
    "CoursegateConsumerLagHigh",
    "CoursegateDatabaseUnreachable",
    "CoursegateDatabaseConnectionsHigh",
    "CoursegateDown",
    "CoursegateErrorRateHigh",
    "CoursegateOutboxLagHigh",
    "CoursegateQueryLatencyHigh",
    "CoursegateRateLimitingLocally",
    "CoursegateSearchLatencyHigh",
}
_COMMENT = re.compile(r"(?:^|\s)#.*$", re.MULTILINE)
_METRIC = re.compile(r"\bcoursegate_[a-z0-9_]+\b")
_ALERT = re.compile(r"^\s*- alert:\s*(\S+)\s*$", re.MULTILINE)
_SAMPLE_NAME = re.compile(r"^(coursegate_[a-z0-9_]+)[{ ]", re.MULTILINE)


def _promtool(*args: str, given: str | None = None) -> None:
    """promtool with `args`, reading `given` on its standard input."""
    servers.require(PROMTOOL is not None, "promtool (Debian package prometheus)")
    assert PROMTOOL is not None
    try:
        result = subprocess.run(
            [PROMTOOL, *args],
            cwd=ROOT,
            input=given,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"promtool {' '.join(args)} took more than {TIMEOUT_SECONDS} s")
    output = f"{result.stdout}\n{result.stderr}".strip()
    assert result.returncode == 0, (
        f"promtool {' '.join(args)} exited {result.returncode}:\n{output}"
    )


def _rules_text() -> str:
    """alerts.yml without its comments, which may name metrics the rules do not read."""
    return _COMMENT.sub("", (ROOT / RULES).read_text(encoding="utf-8"))


def test_promtool_accepts_the_rules() -> None:
    _promtool("check", "rules", str(RULES))


def test_the_rules_pass_their_unit_tests() -> None:
    _promtool("test", "rules", str(RULE_TESTS))


def test_the_rules_read_the_metrics_the_gateway_exports() -> None:
    assert set(_METRIC.findall(_rules_text())) == EXPECTED_METRICS


def test_the_alert_names_stay_the_same() -> None:
    assert set(_ALERT.findall(_rules_text())) == EXPECTED_ALERTS


async def test_the_gateway_exports_every_metric_the_rules_read(
    settings: Settings, client: httpx.AsyncClient, backends: Backends
) -> None:
    """After a request, an error and a pool sample, /metrics has a series of each metric the
    rules read, and promtool's linter accepts the whole exposition."""
    sample_pools(backends)
    await client.post("/graphql", json={"query": "{ courses(first: 1) { edges { cursor } } }"})
    await client.post("/graphql", json={"query": "{ nope }"})
    exposition = (await client.get("/metrics")).text
    exported = set(_SAMPLE_NAME.findall(exposition))
    expected = EXPECTED_METRICS - (set() if settings.production else PRODUCTION_ONLY_METRICS)
    assert exported >= expected, expected - exported
    _promtool("check", "metrics", given=exposition)
