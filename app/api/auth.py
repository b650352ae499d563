"""API keys: created by the CLI, stored only as a SHA-256, presented as `Authorization: Bearer`.

Reads are public; every write needs a key whose scope covers it (admin covers curator). Writes
are also where the rate limits (`app.api.limits`) are spent. Nothing here logs the key."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.limits import WRITE_METHODS, RateLimiter
from app.errors import AppError, TooManyRequests
from app.store.models import ApiKey
from app.vocab import Scope

KEY_PREFIX = "pdb_"
SCOPE_RANK = {Scope.curator: 1, Scope.admin: 2}
bearer = HTTPBearer(auto_error=False, description="An API key from `pledgedb keys create`.")


class Unauthorized(AppError):
    status = 401
    title = "Unauthorized"
    type = "/problems/unauthorized"


class Forbidden(AppError):
    status = 403
    title = "Forbidden"
    type = "/problems/forbidden"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, scope: Scope) -> str:
    """Store a new key's hash and return the key itself: the only time it is ever seen."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            name=name,
            scope=scope,
            key_sha256=hash_key(key),
            prefix=key[: len(KEY_PREFIX) + 4],
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return key


def revoke_key(session: Session, name: str) -> bool:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        return False
    if key.revoked_at is None:
        key.revoked_at = dt.datetime.now(dt.UTC)
    return True


def _challenge(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="pledgedb"'})


def _throttle(request: Request, bucket: str, who: str) -> None:
    limiter: RateLimiter = request.app.state.write_limiter
    wait = limiter.take(bucket)
    if wait:
        raise TooManyRequests(
            f"{who} has made too many writes; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )


def require_scope(scope: Scope) -> Callable[..., ApiKey]:
    def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        writing = request.method in WRITE_METHODS
        if writing:
            # Before the key is looked at, so that requests with wrong keys are counted too.
            address = request.client.host if request.client else "unknown"
            _throttle(request, f"client:{address}", "This client address")
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _challenge("This endpoint needs an API key: `Authorization: Bearer <key>`.")
        factory: sessionmaker[Session] = request.app.state.sessionmaker
        with factory() as session:
            key = session.scalar(
                select(ApiKey).where(ApiKey.key_sha256 == hash_key(credentials.credentials))
            )
            if key is not None:
                session.expunge(key)
        if key is None or key.revoked_at is not None:
            # The same answer for unknown and revoked keys: a probe learns nothing.
            raise _challenge("The API key is not valid.")
        if writing:
            _throttle(request, f"key:{key.name}", f"The API key {key.name!r}")
        if SCOPE_RANK[key.scope] < SCOPE_RANK[scope]:
            raise Forbidden(f"This endpoint needs a key with scope {scope.value!r}.")
        request.state.api_key_name = key.name
        return key

    return check


CuratorKey = Annotated[ApiKey, Depends(require_scope(Scope.curator))]
AdminKey = Annotated[ApiKey, Depends(require_scope(Scope.admin))]
