"""`GET /admin/analytics`: the admins' dashboard of subscription analytics, in embedded mode and in
production. The page and its script hold no figures: the script asks `/graphql` with the
admin token typed into the page and draws the answer as SVG, so the page needs no network
beyond the gateway and the figures need the admin role like every other admin query."""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

_PAGES = files("http_api") / "pages"
# Nothing but this origin: no inline script, no other host for scripts, data or images.
_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline';"
    " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {"Content-Security-Policy": _POLICY, "X-Content-Type-Options": "nosniff"}


def admin_analytics_routes() -> list[Route]:
    page_html = (_PAGES / "analytics.html").read_text(encoding="utf-8")
    script = (_PAGES / "analytics.js").read_text(encoding="utf-8")

    async def page(request: Request) -> Response:
        return HTMLResponse(page_html, headers=_HEADERS)

    async def page_script(request: Request) -> Response:
        return Response(script, media_type="text/javascript", headers=_HEADERS)

    return [
        Route("/admin/analytics", page, methods=["GET"]),
        Route("/admin/analytics/dashboard.js", page_script, methods=["GET"]),
    ]
