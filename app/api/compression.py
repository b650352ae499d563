"""Compressed answers (zstd, brotli or gzip, as the client asks) whose ETags stay correct.

`starlette-compress` compresses JSON, CSV, HTML, CSS and scripts of at least ``MIN_BYTES``.
A compressed body is another representation of the same resource, and RFC 9110 (8.8.3) lets
two representations share a strong ETag only if their bytes are the same. So `EncodedETags`,
just outside the compressor, names each encoding's representation by the identity tag with
the encoding appended (``"<hash>-gzip"``, as Apache's mod_deflate does), and:

- evaluates ``If-None-Match`` itself, against the tag of the representation this request
  actually gets (only here is it known whether the body was large enough to compress): the
  application inside always answers in full, and a match becomes a 304 with that tag. The
  response cache (outside) answers most revalidations before they get here.
- lets ``If-Match`` (writes) name any encoding's tag: each names the state the client read.
"""

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

from app.api.representation import matches_if_none_match

# Below about a kilobyte an answer fits in one TCP segment anyway: compressing it saves no
# round trip and costs CPU on both ends.
MIN_BYTES = 1024
# The content codings starlette-compress answers with.
ENCODINGS = ("zstd", "br", "gzip")
# What is compressed besides the library's defaults (JSON, HTML, CSS, scripts, text).
EXTRA_TYPES = ("text/csv", "application/problem+json")


def _encoded(tag: str, encoding: str) -> str:
    return f'{tag[:-1]}-{encoding}"'


def _without(tag: str, encodings: tuple[str, ...]) -> str:
    for encoding in encodings:
        suffix = f'-{encoding}"'
        if tag.endswith(suffix):
            return tag[: -len(suffix)] + '"'
    return tag


# Headers a 304 does not carry: it has no body.
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-encoding"})


def _tags(value: bytes) -> list[str]:
    return [t.strip() for t in value.decode("latin-1").split(",") if t.strip()]


class EncodedETags:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if_none_match = ", ".join(
            v.decode("latin-1") for n, v in scope["headers"] if n == b"if-none-match"
        )
        headers: list[tuple[bytes, bytes]] = []
        for name, value in scope["headers"]:
            # If-Modified-Since too: with If-None-Match it is to be ignored (RFC 9110 13.1.3),
            # and the static files would answer it.
            if name == b"if-none-match" or (if_none_match and name == b"if-modified-since"):
                continue
            if name == b"if-match":
                value = ", ".join(_without(t, ENCODINGS) for t in _tags(value)).encode("latin-1")
            headers.append((name, value))
        conditional = bool(if_none_match) and scope["method"] == "GET"
        not_modified = False

        async def send_tagged(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start":
                response = MutableHeaders(scope=message)
                tag = response.get("etag")
                coding = response.get("content-encoding")
                if tag is not None and tag.endswith('"') and coding in ENCODINGS:
                    tag = response["ETag"] = _encoded(tag, coding)
                if (
                    conditional
                    and message["status"] == 200
                    and tag is not None
                    and matches_if_none_match(if_none_match, tag)
                ):
                    not_modified = True
                    kept = [(n, v) for n, v in message["headers"] if n.lower() not in _BODY_HEADERS]
                    message = {"type": message["type"], "status": 304, "headers": kept}
            elif not_modified:  # the body of the answer the client already holds: dropped
                last = message["type"] == "http.response.pathsend" or (
                    message["type"] == "http.response.body" and not message.get("more_body")
                )
                if last:
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "headers": headers}, receive, send_tagged)


def install_compression(app: FastAPI) -> None:
    """Compress answers for clients that ask, with per-encoding ETags (add it inside the
    response cache, which then keeps each encoding's bytes, and inside the security headers,
    which add ``Vary: Accept-Encoding`` to every public answer, compressed or not)."""
    for media_type in EXTRA_TYPES:
        add_compress_type(media_type)
    app.add_middleware(CompressMiddleware, minimum_size=MIN_BYTES)
    app.add_middleware(EncodedETags)
