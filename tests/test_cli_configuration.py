"""`coursegate` refuses a configuration that cannot run safely with one line, before serving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "COURSEGATE_MYSQL_CATALOG_URL": "mysql://root@127.0.0.1:3306/catalog",
    "COURSEGATE_MYSQL_SHARD_URLS": "mysql://root@127.0.0.1:3306/shard",
    "COURSEGATE_JWT_SECRET": "a-production-secret-from-the-environment-0123456789",
}
RAZORPAY = {
    "RAZORPAY_KEY_ID": "rzp_live_configured",
    "RAZORPAY_KEY_SECRET": "from-the-environment",
    "RAZORPAY_WEBHOOK_SECRET": "from-the-environment-too",
}


def _coursegate(
    tmp_path: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Runs the command; one that starts serving instead of refusing times out and fails."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COURSEGATE_", "RAZORPAY_"))}
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=PROJECT_ROOT,
        env={**clean, "COURSEGATE_DATA_DIR": str(tmp_path), "COURSEGATE_PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_several_workers_on_the_embedded_default_are_refused(tmp_path: Path) -> None:
    refused = _coursegate(tmp_path, {}, "serve", "--workers", "2")
    assert refused.returncode == 2
    assert "--workers 2 would give each worker its own cache" in refused.stderr
    assert "COURSEGATE_REDIS_URL" in refused.stderr and "COURSEGATE_SEARCH_URL" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_production_without_razorpay_does_not_serve(tmp_path: Path) -> None:
    refused = _coursegate(tmp_path, PRODUCTION, "serve")
    assert refused.returncode == 2
    assert "never takes payments through the sandbox" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_production_without_object_storage_does_not_serve(tmp_path: Path) -> None:
    refused = _coursegate(tmp_path, {**PRODUCTION, **RAZORPAY}, "serve")
    assert refused.returncode == 2
    assert "set COURSEGATE_S3_BUCKET" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_production_without_a_shared_link_signing_key_does_not_serve(tmp_path: Path) -> None:
    configured = {**PRODUCTION, **RAZORPAY, "COURSEGATE_S3_BUCKET": "coursegate-media"}
    refused = _coursegate(tmp_path, configured, "serve")
    assert refused.returncode == 2
    assert "set COURSEGATE_CONTENT_SIGNING_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "content-signing-key").exists()  # no key of one pod's own


@pytest.mark.parametrize("command", [["serve"], ["token", "--user", "1"]])
def test_production_without_a_token_key_does_not_start(tmp_path: Path, command: list[str]) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "COURSEGATE_JWT_SECRET"}
    refused = _coursegate(tmp_path, env, *command)
    assert refused.returncode == 2
    assert "needs COURSEGATE_JWT_SECRET" in refused.stderr
    assert refused.stdout == ""


def test_a_bad_public_key_file_stops_serve_with_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "idp.pem"
    key_file.write_text("not a key")
    refused = _coursegate(tmp_path, {"COURSEGATE_JWT_PUBLIC_KEY_FILE": str(key_file)}, "serve")
    assert refused.returncode == 2
    assert str(key_file) in refused.stderr
    assert "Traceback" not in refused.stderr
