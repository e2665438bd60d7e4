"""The embedded default's learner page: take a course's typing exercises in a browser.

`GET /learn` is a plain page (`pages/learn.html` and `pages/learn.js`, nothing from another
host) that asks `/graphql` with the bearer token typed into it: the user's active courses and
the first catalog courses they do not have, a course's lessons (open, or locked for this user),
a lesson's exercises and images, and an exercise typed against a timer, whose speed and
accuracy it submits through submitExerciseResult. It holds no data and no secret of its own.
The gateway mounts these routes in embedded mode only.
"""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

_PAGES = files("http_api") / "pages"


def learn_page_routes() -> list[Route]:
    page_html = (_PAGES / "learn.html").read_text(encoding="utf-8")
    script = (_PAGES / "learn.js").read_text(encoding="utf-8")

    async def page(request: Request) -> Response:
        return HTMLResponse(page_html)

    async def page_script(request: Request) -> Response:
        return Response(script, media_type="text/javascript")

    return [
        Route("/learn", page, methods=["GET"]),
        Route("/learn/learn.js", page_script, methods=["GET"]),
    ]
