"""`coursegate persisted-queries register FILE...`: the documents a production frontend may run
under the safelist (COURSEGATE_PERSISTED_ONLY=true), each registered under the SHA-256 of its
text, which is what a client sends as `extensions.persistedQuery.sha256Hash`.

A FILE is a `.graphql` (or `.gql`) document, registered as one text; an Apollo persisted query
manifest (`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}, ...]}`);
or a JSON object of hash -> text (Relay's and persistgraphql's query maps). Every document must
parse and validate against this gateway's schema, and every hash given must be its text's, or
nothing is registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from graphql import GraphQLError, GraphQLSchema, parse, validate

from datasources.backends import Backends
from datasources.cache.persisted_queries import document_hash

_DOCUMENT_SUFFIXES = (".graphql", ".gql")


class RegistrationRefused(Exception):
    """A file that cannot be read as documents, or a document this schema would not run."""


@dataclass(frozen=True, slots=True)
class Registered:
    documents: int
    new: int


def documents_in(paths: Sequence[Path], schema: GraphQLSchema) -> dict[str, str]:
    """hash -> text of every document in the files, each checked. Raises RegistrationRefused."""
    documents: dict[str, str] = {}
    for path in paths:
        for given_hash, text in _read(path):
            sha256 = document_hash(text)
            if given_hash is not None and given_hash != sha256:
                raise RegistrationRefused(
                    f"{path}: {given_hash} is not the SHA-256 of its document ({sha256})"
                )
            _check(path, text, schema)
            documents[sha256] = text
    return documents


async def register(backends: Backends, documents: dict[str, str]) -> Registered:
    new = await backends.persisted_queries.registered.register(documents, datetime.now(UTC))
    return Registered(len(documents), new)


def _read(path: Path) -> Iterable[tuple[str | None, str]]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RegistrationRefused(f"{path}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RegistrationRefused(f"{path}: not UTF-8 text") from None
    if path.suffix in _DOCUMENT_SUFFIXES:
        return [(None, text)]
    try:
        loaded = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RegistrationRefused(
            f"{path}: neither a .graphql document nor JSON (a manifest or a query map)"
        ) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("operations"), list):
        return [_manifest_entry(path, entry) for entry in loaded["operations"]]
    if isinstance(loaded, dict) and all(isinstance(v, str) for v in loaded.values()):
        return [(str(sha), text) for sha, text in loaded.items()]
    raise RegistrationRefused(f"{path}: JSON that is neither a manifest nor a query map")


def _manifest_entry(path: Path, entry: object) -> tuple[str | None, str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("body"), str):
        raise RegistrationRefused(f"{path}: a manifest operation without a `body` string")
    given = entry.get("id")
    return (given if isinstance(given, str) else None), entry["body"]


def _check(path: Path, text: str, schema: GraphQLSchema) -> None:
    try:
        errors = validate(schema, parse(text))
    except GraphQLError as error:
        raise RegistrationRefused(f"{path}: {error.message}") from None
    if errors:
        raise RegistrationRefused(f"{path}: {errors[0].message}")
