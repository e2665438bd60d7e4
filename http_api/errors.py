"""GraphQL-shaped error bodies for requests refused before execution."""

from __future__ import annotations

import orjson
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"


def error_response(status: int, message: str, code: str, request_id: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        orjson.dumps(body), status, media_type=JSON_MEDIA_TYPE, headers={"x-request-id": request_id}
    )
