"""CORS for browser pages on other origins, through Starlette's CORSMiddleware: none at all
unless COURSEGATE_CORS_ORIGINS names some (same-origin pages need none)."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from settings import ConfigurationError, Settings

ALLOWED_METHODS: Final = ("GET", "POST")
ALLOWED_HEADERS: Final = (
    "accept",
    "content-type",
    "authorization",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
)
EXPOSED_HEADERS: Final = ("x-request-id",)
PREFLIGHT_MAX_AGE_SECONDS: Final = 600


def cors_middleware(settings: Settings) -> list[Middleware]:
    """Raises ConfigurationError for origins no browser would match, and for `*` with
    credentials (which would hand every site on the web its visitors' credentials)."""
    origins = settings.cors_origins
    if not origins:
        return []
    for origin in origins:
        if origin != "*" and not _is_origin(origin):
            raise ConfigurationError(
                "COURSEGATE_CORS_ORIGINS lists origins as a browser sends them: scheme, host"
                " and port only, lower case, no path or trailing slash (https://app.example.com),"
                f" or `*`; not {origin!r}"
            )
    if "*" in origins and settings.cors_allow_credentials:
        raise ConfigurationError(
            "COURSEGATE_CORS_CREDENTIALS=true needs the origins listed in"
            " COURSEGATE_CORS_ORIGINS, not `*`"
        )
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=settings.cors_allow_credentials,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
    ]


def _is_origin(text: str) -> bool:
    """Starlette compares an Origin header with the listed ones as strings."""
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed IPv6 bracket
        return False
    return (
        bool(parts.scheme and parts.hostname)
        and text == f"{parts.scheme}://{parts.netloc}"
        and "@" not in parts.netloc
        and text == text.lower()
    )
