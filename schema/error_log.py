"""What the log says about a request's GraphQL errors.

strawberry's default `process_errors` writes every error, the client's mistakes included, at
ERROR with a stack. Here each error is either the client's (see `is_client_error`) or a bug:

- client errors: one INFO line per request on `coursegate.client_errors`, with the request id
  and the first message (and how many more the request had), no stack. The lines are rationed
  by a `LineBudget`, so a flood of bad requests costs a bounded number of lines;
- outages (a database that cannot be reached): one WARNING line per request on
  `coursegate.outages`, rationed by the same budget; the client gets the outage's code
  (SHARD_UNAVAILABLE) and when to try again, not "Internal error";
- bugs: one ERROR record per request on `coursegate.errors`, with the request id, the path and
  the stack of the first one (the others of the request are named in the same line). These are
  not rationed: each one is a bug to see. The client gets "Internal error" (`MaskErrors`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types.execution import ExecutionContext

from resolvers.context import RequestContext
from resolvers.errors import ClientError, outage_error

client_log = logging.getLogger("coursegate.client_errors")
bug_log = logging.getLogger("coursegate.errors")
outage_log = logging.getLogger("coursegate.outages")

MAX_MESSAGE_CHARS = 200
INTERNAL = "INTERNAL"  # the code of a bug's error as the client sees it
MASKED_MESSAGE = "Internal error"
_NAMED_OTHERS = 3


def is_client_error(error: GraphQLError) -> bool:
    """The request's fault, shown to the client as is; anything else is a bug, masked."""
    original = error.original_error
    if original is None or isinstance(original, ClientError):
        return True  # parse and validation errors, and the resolvers' own refusals
    if not isinstance(original, GraphQLError):
        return False
    # graphql-core refusing the request's values: a variable before any field ran (no path),
    # or an argument at its field (pointing at the document). One at a field with no place in
    # the document is a result its type cannot represent (e.g. an Int out of range): a bug.
    return error.path is None or bool(original.nodes)


def is_outage(error: GraphQLError) -> bool:
    """A database that cannot be reached: expected now and then, not the request's fault."""
    return error.original_error is not None and outage_error(error.original_error) is not None


class LineBudget:
    """At most `lines` lines per window of `seconds` (a fixed window, restarted by the first
    line after it ends). Lines over the budget are only counted; the next line let through
    carries that count, so the size of a flood stays in the log without its lines."""

    def __init__(
        self, lines: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lines = lines
        self.seconds = seconds
        self._clock = clock
        self._window_start = clock()
        self._used = 0
        self._suppressed = 0

    def take(self) -> int | None:
        """None: over budget, write nothing. Otherwise write the line, saying that this many
        lines were suppressed before it."""
        now = self._clock()
        if now - self._window_start >= self.seconds:
            self._window_start, self._used = now, 0
        if self._used >= self.lines:
            self._suppressed += 1
            return None
        self._used += 1
        suppressed, self._suppressed = self._suppressed, 0
        return suppressed


class RequestErrorLog:
    def __init__(self, budget: LineBudget) -> None:
        self.budget = budget

    def log(self, errors: Sequence[GraphQLError], request_id: str) -> None:
        client = [error for error in errors if is_client_error(error)]
        outages = [error for error in errors if is_outage(error)]
        bugs = [error for error in errors if not is_client_error(error) and not is_outage(error)]
        if client:
            self._log_client_errors(client, request_id)
        if outages:
            self._log_outages(outages, request_id)
        if bugs:
            self._log_bugs(bugs, request_id)

    def _log_outages(self, errors: Sequence[GraphQLError], request_id: str) -> None:
        suppressed = self.budget.take()
        if suppressed is None:
            return
        before = f" [{suppressed} lines suppressed before this]" if suppressed else ""
        outage_log.warning(
            "request %s: %s at %s%s", request_id, errors[0].original_error, _path(errors[0]), before
        )

    def _log_client_errors(self, errors: Sequence[GraphQLError], request_id: str) -> None:
        suppressed = self.budget.take()
        if suppressed is None:
            return
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        before = f" [{suppressed} client-error lines suppressed before this]" if suppressed else ""
        client_log.info(
            "request %s: client error: %s%s%s", request_id, _short(errors[0].message), more, before
        )

    def _log_bugs(self, errors: Sequence[GraphQLError], request_id: str) -> None:
        first, others = errors[0], errors[1:]
        named = ", ".join(f"{_path(e)} ({_kind(e)})" for e in others[:_NAMED_OTHERS])
        rest = len(others) - _NAMED_OTHERS
        also = f"; also at {named}{f' and {rest} more' if rest > 0 else ''}" if others else ""
        bug_log.error(
            "request %s: unexpected error at %s%s",
            request_id,
            _path(first),
            also,
            exc_info=first.original_error or first,
        )


class MaskBugs(MaskErrors):
    """A bug's error reaches the client as "Internal error" with code INTERNAL (where and when
    are kept: path and locations); its message and stack are in the log."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda error: not is_client_error(error),
            error_message=MASKED_MESSAGE,
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        outage = None if error.original_error is None else outage_error(error.original_error)
        if outage is None:
            masked.extensions = {"code": INTERNAL}
        else:
            masked.message, masked.extensions = outage
        return masked


class ErrorLoggingSchema(strawberry.Schema):
    """strawberry calls `process_errors` once per request, before `MaskErrors` hides the bugs'
    messages from the client: the log sees the original errors."""

    def __init__(self, *, error_log: RequestErrorLog, **schema_options: Any) -> None:
        super().__init__(**schema_options)
        self.error_log = error_log

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = None if execution_context is None else execution_context.context
        request_id = context.request_id if isinstance(context, RequestContext) else "-"
        self.error_log.log(errors, request_id)


def _short(message: str) -> str:
    """One line, bounded: a message may quote a client's value back."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 3] + "..."


def _path(error: GraphQLError) -> str:
    return ".".join(map(str, error.path)) if error.path else "(before execution)"


def _kind(error: GraphQLError) -> str:
    return type(error.original_error or error).__name__
