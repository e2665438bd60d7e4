"""A span per DataLoader batch when tracing is on (http_api/tracing.py): where a request's reads
were batched, how many keys each batch held, and what the datasources did for it (their spans
nest under it)."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from opentelemetry.trace import Tracer


def traced_batches(loader: DataLoader[Any, Any], tracer: Tracer, name: str) -> None:
    load = loader.batch_load_fn

    async def traced(keys: list[Any]) -> Any:
        with tracer.start_as_current_span(
            f"load {name}", attributes={"coursegate.loader.keys": len(keys)}
        ):
            return await load(keys)

    loader.batch_load_fn = traced
