"""What each problem `type` means: the catalogue behind /problems/{name}.

Every error answer is an RFC 9457 problem document whose `type` is a URI such as
/problems/not-found; RFC 9457 (3.1.1) asks that it resolve to documentation for people. The
titles and statuses here are those the errors carry (`app.errors`, `app.api.auth`,
`app.api.limits`, `app.api.headers`); a test holds the two together."""

from app.schemas.problems import ProblemType


def _problem(slug: str, status: int | None, title: str, meaning: str, remedy: str) -> ProblemType:
    return ProblemType(
        name=slug,
        type=f"/problems/{slug}",
        title=title,
        status=status,
        meaning=meaning,
        remedy=remedy,
    )


CATALOGUE = [
    _problem(
        "invalid-parameter",
        422,
        "Invalid request parameter",
        "A query or path parameter, or a field of the request body, has a value the API does "
        "not take; or the request names a query parameter the endpoint does not have (a "
        "misspelt filter is refused, never ignored, so you never get everything when you "
        "asked for a part). `errors` lists each problem with its location; for a closed "
        "vocabulary, `allowed` lists the values it takes.",
        "Correct the value the message names. Each parameter's description in /docs says "
        "what it takes, with an example.",
    ),
    _problem(
        "not-found",
        404,
        "Not found",
        "Nothing answers at this path: an id or nation code that is not in the database, or "
        "a path the API does not have. Retracted facts are still found by their id.",
        "Check the id or code (lists give every id; nations take ISO 3166-1 alpha-2 or "
        "alpha-3 codes such as IT or ITA) and the path against /docs.",
    ),
    _problem(
        "method-not-allowed",
        405,
        "Method not allowed",
        "The path exists but does not answer this method; the `Allow` header lists the ones "
        "it does. Reads are GET (and HEAD); writes are POST and PATCH. OPTIONS is answered "
        "only as a browser's CORS preflight, on a server that allows cross-origin requests.",
        "Use one of the methods in `Allow`.",
    ),
    _problem(
        "not-acceptable",
        406,
        "Not acceptable",
        "The `Accept` header asks only for media types this endpoint cannot send. Lists "
        "answer JSON or CSV; everything else answers JSON.",
        "Accept application/json (or text/csv for a list), or send no Accept header.",
    ),
    _problem(
        "malformed-body",
        400,
        "Bad request",
        "The request body could not be read as JSON.",
        "Send a JSON body with `Content-Type: application/json`; /docs shows each write's fields.",
    ),
    _problem(
        "unauthorized",
        401,
        "Unauthorized",
        "A write needs an API key, and this request had none, or one that is unknown or "
        "revoked. Reads never need a key.",
        "Send `Authorization: Bearer <key>`. Keys are created on the server with "
        "`pledgedb keys create`; ask its operator for one.",
    ),
    _problem(
        "forbidden",
        403,
        "Forbidden",
        "The key is valid but its scope does not cover this write: registering a source "
        "needs an admin key; facts need a curator (or admin) key.",
        "Use a key with the scope the detail names.",
    ),
    _problem(
        "conflict",
        409,
        "Conflict",
        "The write cannot be applied to the data as it stands: a source text that is already "
        "stored (the answer names it), or a change to a fact that was retracted. The detail "
        "says which.",
        "Use the stored source's id; a retracted fact stays as it was, so write a new fact "
        "instead.",
    ),
    _problem(
        "precondition-failed",
        412,
        "Precondition failed",
        "The `If-Match` header names a version of the resource that is no longer current: "
        "someone changed it since you read it. The answer's `ETag` is the current version.",
        "GET the resource again, re-apply your change to what it says now, and retry with "
        "its new ETag.",
    ),
    _problem(
        "precondition-required",
        428,
        "Precondition required",
        "A write that changes an existing fact must say which version it changes, so that "
        "two curators never overwrite each other unknowingly.",
        "GET the resource and send its `ETag` in an `If-Match` header with the write.",
    ),
    _problem(
        "payload-too-large",
        413,
        "Payload too large",
        "The request body is larger than this server takes (PLEDGEDB_MAX_BODY_BYTES, 1 MiB "
        "unless its operator set another limit).",
        "Send less at once: split a batch into several writes, or load it on the server "
        "with `pledgedb import`.",
    ),
    _problem(
        "uri-too-long",
        414,
        "URI too long",
        "The URL (path and query string) is longer than this server takes "
        "(PLEDGEDB_MAX_URL_BYTES, 8 KiB unless its operator set another limit). The answer "
        "does not repeat the URL.",
        "Ask for less at once: fewer repeated filter values per request, several requests "
        "for several sets of values.",
    ),
    _problem(
        "too-many-requests",
        429,
        "Too many requests",
        "Writes are limited per API key and per client address (PLEDGEDB_WRITE_RATE_PER_"
        "MINUTE, 60 a minute unless set otherwise). Reads are not limited.",
        "Wait the seconds the `Retry-After` header gives, then retry.",
    ),
    _problem(
        "unavailable",
        503,
        "Service unavailable",
        "The database cannot be used right now: unreachable, busy with other writes for too "
        "long, or (from /readyz) not migrated or not seeded yet.",
        "Retry after the seconds in `Retry-After`. If it lasts, the server's operator should "
        "look at /readyz and the database.",
    ),
    _problem(
        "timeout",
        503,
        "Query time limit exceeded",
        "The request's database work ran longer than the server allows "
        "(PLEDGEDB_STATEMENT_TIMEOUT_MS) and was stopped; nothing was changed. With `as_of`, "
        "making the data as it stood then may take longer the first time: that goes on after "
        "the answer (with `Retry-After`).",
        "Ask for less: narrower filters, a smaller `limit`, a keyset cursor instead of a "
        "large `offset`. With `Retry-After`, ask the same again after those seconds.",
    ),
    _problem(
        "cors-refused",
        400,
        "Cross-origin request refused",
        "A web page on another origin asked (in a CORS preflight) to call this API, and the "
        "server does not allow that origin, method or header. Servers and scripts are not "
        "subject to CORS.",
        "Call the API from a server or a script, or ask the operator to add your page's "
        "origin to PLEDGEDB_CORS_ORIGINS.",
    ),
    _problem(
        "http-error",
        None,
        "HTTP error",
        "An HTTP error without a more specific type; the status and detail say what went wrong.",
        "Follow the detail; /docs describes every endpoint.",
    ),
    _problem(
        "internal",
        500,
        "Internal error",
        "Something failed that should not have: a bug, never a judgement on your request. "
        "Writes are all-or-nothing, so nothing was half-written.",
        "Retry later; if it persists, report it to the server's operator with the time and "
        "the request.",
    ),
]
BY_NAME = {p.name: p for p in CATALOGUE}
