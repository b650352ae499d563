"""HEAD on every GET route, and a clear answer to OPTIONS.

HEAD (RFC 9110 9.3.2) is the GET without its body: `HeadAsGet` hands the application a GET,
so the answer has exactly the GET's headers (ETag, Content-Length, Content-Encoding, the 304
when If-None-Match matches, the response cache's answers), and drops the body on the way out.
FastAPI registers GET routes for GET alone; this keeps HEAD out of the OpenAPI document while
every GET path answers it, and the 405's Allow lists it (`app.errors.allowed_methods`).

OPTIONS: with CORS on, Starlette's CORS middleware answers a browser's preflight; any other
OPTIONS reaches `OptionsAnswer`, which answers 405 with Allow (RFC 9110 15.5.6: OPTIONS is an
optional method, and a server that does not support it on a resource says which methods it
does), as a problem document whose detail says why — for a preflight, that this server takes
no cross-origin requests from web pages."""

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import HTTP_PROBLEMS, allowed_methods, problem_response


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False
        gone = False

        async def without_body(message: Message) -> None:
            nonlocal ended, gone
            if message["type"] == "http.response.start":
                await send(message)
                if not any(name == b"content-length" for name, _ in message.get("headers", [])):
                    # A streamed answer (the change feed never ends): the headers are all a
                    # HEAD gets, so end it here and tell the stream its client has gone.
                    ended = gone = True
                    await send({"type": "http.response.body", "body": b""})
            elif not ended and message["type"] in ("http.response.body", "http.response.pathsend"):
                # Every body message but the last is dropped; the last ends an empty body.
                if message["type"] == "http.response.pathsend" or not message.get("more_body"):
                    ended = True
                    await send({"type": "http.response.body", "body": b""})
            elif not ended:
                await send(message)

        async def until_gone() -> Message:
            if gone:
                return {"type": "http.disconnect"}
            return await receive()

        # A new scope, not the server's: its access log still says HEAD.
        await self.app({**scope, "method": "GET"}, until_gone, without_body)


class OptionsAnswer:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        methods = allowed_methods(request.app, request.url.path)
        if not methods:  # no such path: the router's 404
            await self.app(scope, receive, send)
            return
        listed = ", ".join(methods)
        if "origin" in request.headers and "access-control-request-method" in request.headers:
            detail = (
                "This server does not take cross-origin requests from web pages (CORS is not "
                "enabled for any origin), so the browser's preflight is refused. Call the API "
                "from a server or a script, or ask its operator to allow your origin."
            )
        else:
            detail = f"This path answers {listed}; OPTIONS is not one of its methods."
        title, slug = HTTP_PROBLEMS[405]
        response = problem_response(
            request, 405, title, f"/problems/{slug}", detail, headers={"Allow": listed}
        )
        await response(scope, receive, send)
