"""One router per resource, and the router class they share (`PrefixedRouter`)."""

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class PrefixedRouter(APIRouter):
    """A resource's router, which declines a path outside its prefix before looking at its
    routes. FastAPI asks each included router in turn and builds a router's routes (their
    parameter and response models, about 10 ms each) the first time it is asked: without this,
    an app's first request to /changes built the routes of the nine routers before it, and each
    request matched their path patterns one by one."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path != self.prefix and not path.startswith(f"{self.prefix}/"):
            return Match.NONE, {}
        return super().matches(scope)
