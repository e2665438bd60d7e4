"""What executing a document costs, planned (`schema/execution/`) and through graphql-core (the
reference), on the embedded default with demo data: `schema.execute` called directly, no HTTP,
no response cache, one execution at a time, the two executors alternating round by round.

    python -m bench.executor [--executions 2000] [--rounds 5]

Prints microseconds per execution (median round) for each executor and their ratio, per
document: the catalog page, course details, a signed-in user's subscriptions, the home
screen's document. Parsing and validation are cached in both (as in the gateway), so the
difference is execution.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bench.cold import HOME_QUERY
from bench.operations import CATALOG_QUERY, DETAILS_QUERY, SUBSCRIPTIONS_QUERY
from datasources.backends import Backends, open_backends
from domain.rate_limits import Budgets
from gateway import settle
from jobs.demo_data import DEMO_USERS
from jobs.seed import seed_demo
from loaders import Loaders
from records.catalog import CourseFilter
from resolvers.auth import Principal
from resolvers.context import RequestContext
from schema import build_schema
from schema.error_log import ErrorLoggingSchema
from settings import Settings


async def _execute(
    schema: ErrorLoggingSchema,
    backends: Backends,
    document: str,
    variables: dict[str, Any],
    principal: Principal | None,
) -> Any:
    context = RequestContext(
        backends=backends,
        loaders=Loaders.for_request(backends, None if principal is None else principal.user_id),
        principal=principal,
        request_id="bench",
        now=datetime.now(UTC),
    )
    result = await schema.execute(document, variable_values=variables, context_value=context)
    if result.errors:
        raise SystemExit(f"{document[:40]}...: {result.errors[0].message}")
    return result.data


async def _round(
    schema: ErrorLoggingSchema,
    backends: Backends,
    case: tuple[str, dict[str, Any], Principal | None],
    executions: int,
) -> float:
    document, variables, principal = case
    started = time.perf_counter()
    for _ in range(executions):
        await _execute(schema, backends, document, variables, principal)
    return (time.perf_counter() - started) / executions * 1e6


async def _main(executions: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), rate_limits=Budgets())
        backends = await open_backends(settings)
        try:
            await backends.migrate()
            await seed_demo(backends)
            await settle(backends)
            user = Principal(DEMO_USERS[0])
            (course,) = await backends.uncached_catalog.list_courses(CourseFilter(), None, 1)
            cases: dict[str, tuple[str, dict[str, Any], Principal | None]] = {
                "catalog": (CATALOG_QUERY, {}, None),
                "details": (DETAILS_QUERY, {"id": str(course.id)}, None),
                "subscriptions": (SUBSCRIPTIONS_QUERY, {}, user),
                "home": (HOME_QUERY, {"first": 20, "prefix": "fr", "withSuggestions": True}, user),
            }
            schemas = {
                "planned": build_schema(),
                "graphql-core": build_schema(executor=StrawberryGraphQLCoreExecutionContext),
            }
            for name, case in cases.items():
                answers = [await _execute(s, backends, *case) for s in schemas.values()]
                if answers[0] != answers[1]:
                    raise SystemExit(f"{name}: the two executors answer differently")
            gc.freeze()
            print(f"{'document':14} {'planned us':>11} {'graphql-core us':>16} {'ratio':>6}")
            for name, case in cases.items():
                figures: dict[str, list[float]] = {executor: [] for executor in schemas}
                for _ in range(rounds):
                    for executor, schema in schemas.items():
                        figures[executor].append(await _round(schema, backends, case, executions))
                planned = statistics.median(figures["planned"])
                reference = statistics.median(figures["graphql-core"])
                print(f"{name:14} {planned:11.1f} {reference:16.1f} {reference / planned:5.2f}x")
        finally:
            await backends.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(_main(args.executions, args.rounds))


if __name__ == "__main__":
    main()
