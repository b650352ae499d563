"""Logs: one access line per request, and the logging setup `pledgedb serve` gives uvicorn.

uvicorn's own access log has no duration, so `AccessLog` (the outermost middleware) writes
the access lines to the ``pledgedb.access`` logger, with the request's method, path, status,
duration and client as fields of the record; `log_config` renders every logger's records
(uvicorn's, the app's and these) either as text lines with a timestamp, or as one JSON object
per line for log shippers (python-json-logger)."""

import logging
import time
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["text", "json"]
access_logger = logging.getLogger("pledgedb.access")

TEXT_FORMAT = "%(asctime)s %(levelprefix)s %(name)s: %(message)s"
# The record fields a JSON line carries besides those an access record adds.
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                self._log(scope, status, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _log(scope: Scope, status: int | None, duration_ms: float) -> None:
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": status,
            "duration_ms": round(duration_ms, 2),
            "client": client[0] if client else None,
        }
        target = fields["path"] + (f"?{fields['query']}" if fields["query"] else "")
        access_logger.info(
            '%s "%s %s" %s %.1f ms',
            fields["client"] or "-",
            fields["method"],
            target,
            status if status is not None else "-",
            duration_ms,
            extra=fields,
        )


def log_config(log_format: LogFormat) -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn's ``log_config``: timestamps on every line;
    access lines to stdout, the rest to stderr (as uvicorn does)."""
    if log_format == "json":
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            # uvicorn's copy of its message with terminal colours: noise in a JSON line.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
    else:
        formatter = {
            "()": "uvicorn.logging.DefaultFormatter",
            "fmt": TEXT_FORMAT,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            },
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "pledgedb": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "pledgedb.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }
