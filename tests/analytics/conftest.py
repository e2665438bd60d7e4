from __future__ import annotations

import dataclasses
import uuid

import pytest

from settings import Settings


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The embedded default keeps its series in SQLite; production here writes to a real
    InfluxDB, a database of its own per test."""
    if not settings.production:
        return settings
    return dataclasses.replace(
        settings,
        influxdb_url=request.getfixturevalue("influxdb_url"),
        influxdb_database=f"cg_{uuid.uuid4().hex[:12]}",
    )
