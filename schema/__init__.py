"""The GraphQL schema, one package per domain (types, inputs, its Query and Mutation fields),
composed into the roots in `roots.py`.

No I/O of its own: a type is built from records, and every field that needs data calls a use
case in `resolvers/` (which reaches loaders and datasources), never a loader or store itself.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from schema.roots import Mutation, Query

log = logging.getLogger("coursegate.errors")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000


def _should_mask(error: GraphQLError) -> bool:
    """Parse, validation and client errors reach the client; anything else is a bug."""
    original = error.original_error
    # GraphQLError originals are deliberate too (e.g. variable coercion, ClientError).
    if original is None or isinstance(original, GraphQLError):
        return False
    log.error("unexpected error at %s", error.path, exc_info=original)
    return True


# The limiters define their rule classes per instance, which would give ValidationCache a new
# key on every request; built once here, the rules are the same objects on every request.
_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(MAX_ALIASES).validation_rules,
]


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        # Factories: strawberry builds fresh extension instances per request (the
        # parse and validation caches themselves are shared at module level).
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: ParserCache(maxsize=1024),
            lambda: AddValidationRules(_LIMIT_RULES),
            lambda: ValidationCache(maxsize=1024),
            lambda: MaskErrors(should_mask_error=_should_mask, error_message="Internal error"),
        ],
    )
