"""CSRF prevention as Apollo Server 4 has it: a request to /graphql runs only if a browser could
not have sent it without a CORS preflight, so a page on an origin the CORS policy does not
allow never gets an operation executed (not even a query, whose timing it could measure).

A browser sends a "simple" request without asking first: no content-type or one of the three
a form can send, and no header a page's script set. So a request passes when its content-type
is another one (every JSON POST), or when it carries a non-empty `apollo-require-preflight`
or `x-apollo-operation-name` header (Apollo Client on iOS and Kotlin sends the latter; any
other client, GET included, adds the former).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# https://fetch.spec.whatwg.org/#cors-safelisted-request-header
SIMPLE_CONTENT_TYPES: Final = (
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
)
PREFLIGHT_HEADERS: Final = ("apollo-require-preflight", "x-apollo-operation-name")
REFUSAL: Final = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF)."
    " Either send a `content-type` header whose type is not one of "
    + ", ".join(SIMPLE_CONTENT_TYPES)
    + " (a POST sends application/json), or give one of these headers a non-empty value: "
    + ", ".join(PREFLIGHT_HEADERS)
    + " (a GET sends `apollo-require-preflight: true`)"
)


def would_be_preflighted(headers: Mapping[str, str]) -> bool:
    """`headers` by lower-case name. True when a browser sends such a request only after a
    CORS preflight."""
    content_type = headers.get("content-type")
    if content_type == "application/json":  # nearly every request: no parsing
        return True
    if content_type is not None:
        essence = content_type.partition(";")[0].strip(" \t\r\n").lower()
        # A type that does not parse is not safelisted either (what a browser preflights).
        if essence not in SIMPLE_CONTENT_TYPES:
            return True
    return bool(headers.get(PREFLIGHT_HEADERS[0]) or headers.get(PREFLIGHT_HEADERS[1]))
