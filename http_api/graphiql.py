"""GraphiQL from the gateway itself: strawberry's page (what `GET /graphql` answers) with every
script and stylesheet it takes from unpkg or jsdelivr pointed at the copy in `pages/graphiql/`
(see its README), and `GET /graphiql/<package>-<version>/<path>` serving those copies.

A URL `https://unpkg.com/<package>@<version>/<path>` becomes
`/graphiql/<package>-<version>/<path>` (a scope's `@` dropped and its `/` made `-`), and the
tag's `integrity` is recomputed from the local file. A page that would still load anything
from another host is refused when it is built, so a strawberry upgrade that names other
versions fails loudly instead of leaving GraphiQL on "Loading..." without internet.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import uuid
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html

from http_api.compression import compress, preferred_encoding
from http_api.errors import error_response

ASSETS = Path(__file__).parent / "pages" / "graphiql"
PREFIX = "/graphiql/"
# Every path carries its package's version, so a cached copy never goes stale.
CACHE_CONTROL = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE
}
_HEADERS = {"cache-control": CACHE_CONTROL, "x-content-type-options": "nosniff"}

_TAG = re.compile(r"<(?:script|link)\b[^>]*>")
_CDN_URL = re.compile(
    r'\b(?P<attribute>src|href)="https://(?:unpkg\.com|cdn\.jsdelivr\.net/npm)/'
    r'(?P<package>(?:@[^/"@]+/)?[^/"@]+)@(?P<version>[^/"]+)/(?P<path>[^"?#]+)"'
)
_INTEGRITY = re.compile(r'(?<=\sintegrity=")[^"]*(?=")')
_OTHER_HOST = re.compile(r'\b(?:src|href)="(?:https?:)?//[^"]*"')


class GraphiQLAssetMissing(RuntimeError):
    """strawberry's page names a file that `pages/graphiql/` does not hold."""


@cache
def graphiql_html() -> str:
    """strawberry's GraphiQL page, loading everything from `/graphiql/`."""
    return local_graphiql_html(get_graphql_ide_html(), ASSETS)


def local_graphiql_html(template: str, assets: Path) -> str:
    def localize(tag: re.Match[str]) -> str:
        text = tag.group(0)
        url = _CDN_URL.search(text)
        if url is None:
            return text
        package, version, path = url.group("package", "version", "path")
        relative = f"{package.removeprefix('@').replace('/', '-')}-{version}/{path}"
        local = assets / relative
        if not local.is_file():
            raise GraphiQLAssetMissing(
                f"GraphiQL's page loads {url.group(0)}, and {local} is missing:"
                f" vendor it as {assets / 'README.md'} says"
            )
        digest = base64.b64encode(hashlib.sha384(local.read_bytes()).digest()).decode()
        attribute = f'{url.group("attribute")}="{PREFIX}{relative}"'
        text = text[: url.start()] + attribute + text[url.end() :]
        return _INTEGRITY.sub(f"sha384-{digest}", text)

    html = _TAG.sub(localize, template)
    leftover = _OTHER_HOST.search(html)
    if leftover is not None:
        raise GraphiQLAssetMissing(f"GraphiQL's page would still load {leftover.group(0)}")
    return html


def graphiql_asset_routes() -> list[Route]:
    """`GET /graphiql/<path>`: only the files found under `pages/graphiql/<package>-<version>/`
    at start-up; any other path (`..` included) is not found."""
    served = {
        path.relative_to(ASSETS).as_posix(): (path, _MEDIA_TYPES[path.suffix])
        for path in ASSETS.glob("*/**/*")
        if path.is_file() and path.suffix in _MEDIA_TYPES
    }

    # Compressed forms, made on the first request that asks for each (3.5 MB of GraphiQL is
    # under 1 MB as brotli).
    compressed: dict[tuple[str, str], bytes] = {}

    async def asset(request: Request) -> Response:
        name = request.path_params["path"]
        found = served.get(name)
        if found is None:
            return error_response(404, "not found", "NOT_FOUND", uuid.uuid4().hex)
        path, media_type = found
        encoding = preferred_encoding(request.headers.get("accept-encoding"))
        if encoding is None:
            return FileResponse(path, media_type=media_type, headers=_HEADERS)
        body = compressed.get((name, encoding))
        if body is None:
            body = await asyncio.to_thread(compress, path.read_bytes(), encoding)
            compressed[(name, encoding)] = body
        headers = {**_HEADERS, "content-encoding": encoding, "vary": "accept-encoding"}
        return Response(body, media_type=media_type, headers=headers)

    return [Route(PREFIX + "{path:path}", asset, methods=["GET"])]
