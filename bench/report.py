"""The results table and bench/results/latest.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

RESULTS_FILE = Path(__file__).parent / "results" / "latest.json"
# Written by bench.cold; bench.run keeps them when it rewrites the file.
OTHER_BENCH_SECTIONS = ("cold", "peer")


@dataclass(frozen=True)
class OperationResult:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    graphql_errors_sampled: int
    cache_hit_rate: float | None
    ceiling_rps: float
    ceiling_p99_ms: float
    ratio: float
    response_bytes: int


_HEADER = (
    f"{'backend':<9} {'operation':<14} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
    f"{'errors':>6} {'cache hit':>9} {'ceiling':>8} {'ratio':>6}"
)


def _row(backend: str, name: str, r: OperationResult) -> str:
    hit = "-" if r.cache_hit_rate is None else f"{r.cache_hit_rate:.1%}"
    return (
        f"{backend:<9} {name:<14} {r.rps:>8,.0f} {r.p50_ms:>7.2f} {r.p95_ms:>7.2f} "
        f"{r.p99_ms:>7.2f} {r.errors:>6} {hit:>9} {r.ceiling_rps:>8,.0f} {r.ratio:>6.1%}"
    )


def print_table(results: dict[str, dict[str, OperationResult]], notes: list[str]) -> None:
    print(_HEADER)
    for backend, operations in results.items():
        for name, result in operations.items():
            print(_row(backend, name, result))
    for note in notes:
        print(f"note: {note}")


def write_json(
    results: dict[str, dict[str, OperationResult]], meta: dict[str, Any], notes: list[str]
) -> Path:
    kept = {key: value for key, value in _previous().items() if key in OTHER_BENCH_SECTIONS}
    document = {
        **kept,
        "meta": meta,
        "notes": notes,
        "backends": {
            backend: {name: asdict(result) for name, result in operations.items()}
            for backend, operations in results.items()
        },
    }
    return _write(document)


def write_sections(sections: dict[str, Any]) -> Path:
    """Replaces `sections` (of OTHER_BENCH_SECTIONS) in latest.json, keeping the rest."""
    assert set(sections) <= set(OTHER_BENCH_SECTIONS)
    return _write({**_previous(), **sections})


def _previous() -> dict[str, Any]:
    if not RESULTS_FILE.exists():
        return {}
    document: dict[str, Any] = orjson.loads(RESULTS_FILE.read_bytes())
    return document


def _write(document: dict[str, Any]) -> Path:
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return RESULTS_FILE
