"""The interactive API docs, served from this server alone: Swagger UI at /docs, ReDoc at /redoc.

FastAPI's own pages load both from a CDN and start them with inline scripts, so on a machine
without internet they are blank, and their Content-Security-Policy has to allow other hosts.
Here the bundles come from the `fastapi-offline` package (Swagger UI 5, ReDoc 2) and the
initialisers from ``app/static/docs``, all under /docs/assets: the pages need no host but this
one and no inline script (their policy is ``app.api.headers.DOCS_CSP``)."""

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

SWAGGER_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
DOCS_PAGES = frozenset({SWAGGER_PATH, REDOC_PATH})


def _page(request: Request, title: str, head: str, body: str) -> HTMLResponse:
    root = escape(request.scope.get("root_path", ""))
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(request.app.title)} – {title}</title>
<link rel="icon" type="image/png" href="{root}{ASSETS_PATH}/favicon.png">
{head.format(assets=root + ASSETS_PATH)}
</head>
<body>
{body.format(assets=root + ASSETS_PATH, openapi=root + escape(request.app.openapi_url or ""))}
</body>
</html>
"""
    return HTMLResponse(html)


async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(
        request,
        "Swagger UI",
        '<link rel="stylesheet" href="{assets}/swagger-ui.css">',
        '<div id="swagger-ui" data-openapi-url="{openapi}"></div>\n'
        '<script src="{assets}/swagger-ui-bundle.js"></script>\n'
        '<script src="{assets}/swagger-init.js"></script>',
    )


async def redoc(request: Request) -> HTMLResponse:
    return _page(
        request,
        "ReDoc",
        "",
        '<div id="redoc" data-openapi-url="{openapi}"></div>\n'
        '<script src="{assets}/redoc.standalone.js"></script>\n'
        '<script src="{assets}/redoc-init.js"></script>',
    )


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets (create the app with ``docs_url=None`` and
    ``redoc_url=None`` so FastAPI's CDN pages stay off)."""
    # Plain routes, as FastAPI adds its own docs pages: outside the OpenAPI document.
    app.add_route(SWAGGER_PATH, swagger_ui, include_in_schema=False)
    app.add_route(REDOC_PATH, redoc, include_in_schema=False)
    assets = StaticFiles(packages=[("app", "static/docs"), ("fastapi_offline", "static")])
    app.mount(ASSETS_PATH, assets, name="docs-assets")
