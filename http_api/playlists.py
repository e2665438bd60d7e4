"""GET /playlists/<key>: a video folder's playlist, rewritten with signed links to its files
(`datasources/objects/hls_playlists.py`), on every backend. The link is the grant, as for any
media link, so any origin may read it (players fetch playlists with XHR); it is private to the
learner and cached only until it expires."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from datasources.backends import Backends
from datasources.objects.hls_playlists import PLAYLIST_PATH
from datasources.objects.link_signing import LinkRefused
from datasources.objects.store import ObjectMissing
from domain.content.hls import PLAYLIST_TYPE
from http_api.compression import MIN_BYTES, CompressedBodies, preferred_encoding
from http_api.errors import error_response


def playlist_routes(backends: Callable[[], Backends]) -> list[Route]:
    compressed = CompressedBodies(max_entries=256)  # rendered playlists are shared

    async def playlist(request: Request) -> Response:
        params = request.query_params
        now = datetime.now(UTC)
        expires = params.get("expires", "")
        try:
            body = await backends().playlists.render(
                request.path_params["key"],
                expires,
                params.get("until", ""),
                params.get("signature", ""),
                now,
            )
        except LinkRefused as refused:
            return error_response(403, f"link refused: {refused}", "FORBIDDEN", uuid.uuid4().hex)
        except ObjectMissing:
            return error_response(404, "not found", "NOT_FOUND", uuid.uuid4().hex)
        seconds = max(0, int(expires) - int(now.timestamp()))
        headers = {
            "cache-control": f"private, max-age={seconds}",
            "access-control-allow-origin": "*",
            "vary": "accept-encoding",
        }
        encoding = preferred_encoding(request.headers.get("accept-encoding"))
        if encoding is not None and len(body) >= MIN_BYTES:
            body = compressed.get(body, encoding)
            headers["content-encoding"] = encoding
        return Response(body, media_type=PLAYLIST_TYPE, headers=headers)

    return [Route(f"{PLAYLIST_PATH}{{key:path}}", playlist, methods=["GET", "HEAD"])]
