"""The embedded default's media endpoints, in place of S3 and a CDN: upload forms are POSTed to
/content-uploads, objects are read from /content/<key> with the signed link's `expires` and
`signature` (objects under public/ need none), with ETag, If-None-Match and Range. Every stored
key is content-addressed, so a response may be cached as immutable (privately, and only until
the link expires, unless the object is public)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from datasources.backends import Backends
from datasources.objects.link_signing import LinkRefused
from datasources.objects.local_store import READ_PATH, UPLOAD_PATH, LocalObjectStore, UploadRefused
from datasources.objects.store import PUBLIC_PREFIX
from domain.content.media import MAX_BYTES
from http_api.errors import error_response

_FORM_OVERHEAD = 64 * 1024  # the fields and multipart boundaries around the file


def _error(status: int, message: str, code: str) -> Response:
    return error_response(status, message, code, uuid.uuid4().hex)


def content_file_routes(backends: Callable[[], Backends]) -> list[Route]:
    def local_store() -> LocalObjectStore | None:
        store = backends().objects
        return store if isinstance(store, LocalObjectStore) else None

    async def upload(request: Request) -> Response:
        store = local_store()
        if store is None:
            return _error(404, "uploads go to object storage", "NOT_FOUND")
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > max(MAX_BYTES.values()) + _FORM_OVERHEAD:
            return _error(413, "the upload is too large or unsized", "BAD_REQUEST")
        async with request.form(max_files=1, max_fields=20) as form:
            file = form.get("file")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if not isinstance(file, UploadFile):
                return _error(400, "the form has no `file` part", "BAD_REQUEST")
            try:
                await store.receive_upload(fields, file.file)
            except UploadRefused as refused:
                return _error(403, f"upload refused: {refused}", "FORBIDDEN")
        return Response(status_code=204)

    async def read(request: Request) -> Response:
        store = local_store()
        key = request.path_params["key"]
        if store is None:
            return _error(404, "not found", "NOT_FOUND")
        expires = request.query_params.get("expires", "")
        try:
            store.check_read(
                key, expires, request.query_params.get("signature", ""), datetime.now(UTC)
            )
        except (LinkRefused, ValueError) as refused:
            return _error(403, f"link refused: {refused}", "FORBIDDEN")
        stored = await store.stat(key)
        if stored is None:
            return _error(404, "not found", "NOT_FOUND")
        if key.startswith(PUBLIC_PREFIX):
            cache_control = "public, max-age=31536000, immutable"
        else:
            seconds = max(0, int(expires) - int(datetime.now(UTC).timestamp()))
            cache_control = f"private, max-age={seconds}, immutable"
        headers = {"etag": f'"{stored.etag}"', "cache-control": cache_control}
        if request.headers.get("if-none-match") in (headers["etag"], f"W/{headers['etag']}"):
            return Response(status_code=304, headers=headers)
        return FileResponse(store.path_of(key), headers=headers, media_type=stored.content_type)

    return [
        Route(UPLOAD_PATH, upload, methods=["POST"]),
        Route(f"{READ_PATH}{{key:path}}", read, methods=["GET", "HEAD"]),
    ]
