"""Every handler that answers a model says so in its type: it returns `Answer[Model]` (or the
model itself), the route documents that same model, and mypy checks the handler built it. The
few handlers that answer no model (a download, an event stream, a redirect) are named here with
the reason, so a new untyped handler fails this test."""

from typing import Any, get_type_hints

import pytest
from fastapi import APIRouter
from fastapi.responses import Response
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.api.representation import Answer, AnswerRoute, answered_model
from app.main import create_app

# Handlers whose answer is not a model, and why.
UNTYPED = {
    "get_datapackage": "a Frictionless descriptor built as a dict, documented as an object",
    "get_datapackage_table": "a CSV table, streamed",
    "stream_changes": "a Server-Sent Events stream",
}


def _api_routes() -> list[APIRoute]:
    """The app's API routes as their routers declared them (included routers walked as the
    OpenAPI document does)."""
    routes = [c.original_route for c in iter_route_contexts(create_app().routes)]
    found = [r for r in routes if isinstance(r, APIRoute) and r.include_in_schema]
    assert len(found) > 40, "the walk should see every included router's routes"
    return found


@pytest.mark.parametrize("route", _api_routes(), ids=lambda r: f"{r.path} {sorted(r.methods)}")
def test_a_route_documents_the_model_its_handler_returns(route: APIRoute) -> None:
    returns = get_type_hints(route.endpoint).get("return")
    if route.endpoint.__name__ in UNTYPED:
        assert route.response_model is None
        return
    assert route.response_model is not None, f"{route.endpoint.__name__} documents no model"
    model = answered_model(route.endpoint)
    if model is None:  # a handler returning the model itself: FastAPI validates it
        assert returns is route.response_model
    else:
        assert isinstance(route, AnswerRoute)
        assert model is route.response_model


def test_the_untyped_list_names_only_handlers_that_exist_and_return_a_plain_response() -> None:
    found = {r.endpoint.__name__: r for r in _api_routes()}
    for name in UNTYPED:
        returns = get_type_hints(found[name].endpoint)["return"]
        assert isinstance(returns, type) and issubclass(returns, Response), name


class Thing(BaseModel):
    name: str


def test_a_route_cannot_document_one_model_and_answer_another() -> None:
    router = APIRouter(route_class=AnswerRoute)

    def thing() -> Answer[Thing]:
        raise NotImplementedError

    router.get("/thing")(thing)
    (route,) = router.routes
    assert isinstance(route, APIRoute) and route.response_model is Thing
    declared: dict[str, Any] = {"response_model": BaseModel}
    with pytest.raises(TypeError, match="response model is its Answer's"):
        router.get("/other", **declared)(thing)
