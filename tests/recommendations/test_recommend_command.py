"""`coursegate recommend` and `--evaluate` as an operator runs them, on the embedded default
with synthetic users of latent interests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.gateway_process import PROJECT_ROOT, coursegate_command, environment


def _coursegate(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [coursegate_command(), *args],
        cwd=PROJECT_ROOT,
        env=environment({"COURSEGATE_DATA_DIR": str(data_dir)}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("recommend")
    done = _coursegate(
        data_dir, "seed", "--users", "6000", "--subscriptions-per-user", "4", "--courses", "600"
    )
    assert done.returncode == 0, done.stderr
    return data_dir


def test_the_job_reports_what_it_read_and_publishes_a_model(seeded: Path) -> None:
    done = _coursegate(seeded, "recommend")
    assert done.returncode == 0, done.stderr
    report = re.search(
        r"24,000 subscriptions of 6,000 users read .* \(([\d,]+) rows/s\)", done.stdout
    )
    assert report is not None, done.stdout
    assert "600 courses" in done.stdout and "peak memory" in done.stdout


def test_the_evaluation_shows_the_blend_beating_popularity(seeded: Path) -> None:
    done = _coursegate(seeded, "recommend", "--evaluate")
    assert done.returncode == 0, done.stderr
    ndcg = {
        row[0].strip(): float(row[3])
        for row in (line.split("|")[1:] for line in done.stdout.splitlines())
        if len(row) > 4 and row[3].strip().replace(".", "").isdigit()
    }
    blend = next(v for k, v in ndcg.items() if k.startswith("blend"))
    assert ndcg["popularity"] > 0
    assert blend >= 1.3 * ndcg["popularity"], done.stdout
    assert blend >= ndcg["content only"] and blend >= 0.9 * ndcg["co-subscription only"]
