import httpx
import pytest
from sqlalchemy import Engine

from app.config import Settings
from app.main import create_app
from app.store import migrations

pytestmark = pytest.mark.anyio


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_schema_and_facts(client: httpx.AsyncClient, engine: Engine) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == engine.dialect.name
    assert body["schema_revision"] == migrations.current_revision(engine)
    assert body["facts"] > 0


@pytest.mark.parametrize("migrated", [False, True])
async def test_readyz_is_red_until_migrated_and_seeded(scratch_url: str, migrated: bool) -> None:
    if migrated:
        migrations.upgrade(scratch_url)
    app = create_app(Settings(database_url=scratch_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/readyz")
    app.state.engine.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert ("seed" if migrated else "migrate") in problem["detail"]
