"""An OpenSearch REST API for the tests.

No OpenSearch server can be installed on these machines, so the suites talk to a **stand-in**:
osmem-server (PyPI `osmem-server`), an in-memory reimplementation of OpenSearch's REST API that
opensearch-py drives like the real thing. One process serves the test session; every test that
needs a private cluster gets a copy-on-write clone of it on a port of its own.

With OPENSEARCH_URL naming a live OpenSearch, the search contract also runs against that server,
which checks what the stand-in cannot (listed in the README's search section).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from osmem_server import OsmemClone, OsmemError, OsmemServer

LIVE_URL = os.environ.get("OPENSEARCH_URL") or None


class Cluster:
    """One test's clone of the stand-in: empty when made, gone once stopped."""

    def __init__(self, clone: OsmemClone) -> None:
        self._clone = clone

    @property
    def url(self) -> str:
        return str(self._clone.url)

    def stop(self) -> None:
        """Its server goes away: connections to the URL are refused from now on."""
        self._clone.close()


@dataclass(frozen=True)
class StandIn:
    """The session's osmem-server, with a clone per test."""

    server: OsmemServer

    @contextmanager
    def cluster(self) -> Iterator[Cluster]:
        cluster = Cluster(self.server.clone())
        try:
            yield cluster
        finally:
            cluster.stop()

    def close(self) -> None:
        self.server.close()


def start_stand_in() -> StandIn:
    """Japanese analysis off: the catalog's analyzers do not use it, and it costs startup time."""
    try:
        return StandIn(OsmemServer.start(japanese=False))
    except OsmemError as error:
        raise RuntimeError(
            f"osmem-server (the OpenSearch stand-in) did not start: {error}"
        ) from error
