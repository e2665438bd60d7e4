"""Persisted queries on the request path: Apollo's automatic persisted queries protocol
(`extensions.persistedQuery { version: 1, sha256Hash }`), and the safelist
(`COURSEGATE_PERSISTED_ONLY`), under which only documents registered ahead of time run.

A hash alone runs the document stored under it, or is answered PERSISTED_QUERY_NOT_FOUND, upon
which a client sends the hash with the text; the text is stored once the hash checks out. Under
the safelist nothing is stored from a request: a hash, or a text, must name a registered
document, or the request is refused with PERSISTED_QUERY_NOT_IN_LIST.
"""

from __future__ import annotations

import re
from typing import Final

from datasources.cache.persisted_queries import PersistedQueries, document_hash
from http_api.graphql_request import GraphQLRequest

NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
NOT_IN_LIST: Final = "PERSISTED_QUERY_NOT_IN_LIST"
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


class PersistedQueryRefused(Exception):
    """`request_error`: answered as a GraphQL request error (nothing ran; 400 for clients of
    application/graphql-response+json, 200 for application/json), else a bad request (400)."""

    def __init__(self, message: str, code: str, request_error: bool) -> None:
        super().__init__(message)
        self.code = code
        self.request_error = request_error


def may_involve(raw_body: bytes, registered_only: bool) -> bool:
    """Whether the request must pass through `decide`: under the safelist every request,
    otherwise those naming a persisted query (a scan of the raw bytes: most requests name
    none, and need not be parsed before the response caches are asked)."""
    return registered_only or b"persistedQuery" in raw_body


async def decide(
    request: GraphQLRequest, persisted: PersistedQueries, registered_only: bool
) -> None:
    """Settles the request's document. Raises PersistedQueryRefused, or BadRequestBody for a
    body that is not a GraphQL request."""
    extension = request.persisted_query
    text = request.given_query
    if extension is None:
        if registered_only and text is not None:
            await _registered(persisted, document_hash(text))
        return
    sha256 = _checked_hash(extension)
    if text is not None:
        if document_hash(text) != sha256:
            raise PersistedQueryRefused(
                "provided sha does not match query", "BAD_REQUEST", request_error=False
            )
        if registered_only:
            await _registered(persisted, sha256)
        elif await persisted.document(sha256, registered_only=False) is None:
            await persisted.remember_automatic(sha256, text)
        return
    if registered_only:
        request.use_document(await _registered(persisted, sha256))
        return
    found = await persisted.document(sha256, registered_only=False)
    if found is None:
        raise PersistedQueryRefused("PersistedQueryNotFound", NOT_FOUND, request_error=True)
    request.use_document(found)


async def _registered(persisted: PersistedQueries, sha256: str) -> str:
    found = await persisted.document(sha256, registered_only=True)
    if found is None:
        raise PersistedQueryRefused(
            "this gateway runs registered documents only, and this is not one of them",
            NOT_IN_LIST,
            request_error=True,
        )
    return found


def _checked_hash(extension: dict[str, object]) -> str:
    if extension.get("version") != 1:
        raise PersistedQueryRefused(
            "persisted queries: only version 1 is supported", "BAD_REQUEST", request_error=False
        )
    sha256 = extension.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise PersistedQueryRefused(
            "persisted queries: `sha256Hash` is 64 lower-case hex digits",
            "BAD_REQUEST",
            request_error=False,
        )
    return sha256
