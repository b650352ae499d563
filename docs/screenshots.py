"""Screenshots of the explorer for the README, written to docs/screenshots/*.png.

    .venv/bin/python docs/screenshots.py

Seeds a fresh SQLite database from data/ in a temporary folder, serves it with uvicorn, and
photographs the main pages with Playwright driving Debian's Chromium (/usr/bin/chromium;
apt-get install -y chromium). For the review page, a curator key made in that database runs
the proposal engine on article A, rejects one proposal and accepts another, through the API.
Nothing else is touched."""

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from app.api.auth import create_key
from app.config import PROJECT_ROOT
from app.curation.seed import seed
from app.facts.files import load_dataset
from app.store import migrations
from app.store.engine import make_engine
from app.store.revisions import make_sessionmaker
from app.vocab import Scope

OUT = PROJECT_ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
# name: (address, viewport width, height, element to scroll to the top or None)
SHOTS = {
    "nations": ("/?role=troops&include_coalition=true&include_excluded=true", 1280, 1200, None),
    "nations-table": ("/?role=training&include_coalition=true&include_excluded=true",
                      1280, 1000, "#results"),
    "nation": ("/explore/nations/IT", 1280, 1200, None),
    "nation-coalition": ("/explore/nations/IT", 1280, 1000, "#coalition"),
    "source": ("/explore/sources/article-a#ev-it-troops-ruled-out/1", 1280, 900, None),
    "disputes": ("/explore/disputes", 1280, 1300, None),
    "summary": ("/explore/summary", 1280, 1700, None),
    "phone-nations": ("/?role=troops&include_coalition=true&include_excluded=true",
                      375, 812, "#results"),
    "phone-source": ("/explore/sources/article-b#ev-it-training-pledged/1", 375, 812, None),
    "review": ("/explore/sources/article-a/proposals", 1280, 1000, None),
    "review-decide": ("/explore/sources/article-a/proposals", 1280, 1000, "li.card-rejected"),
    "phone-review": ("/explore/sources/article-a/proposals", 375, 812,
                     "li.card-pending p.relation"),
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[tuple[str, str]]:
    """The server's address, and a curator key of its database."""
    url = f"sqlite:///{folder / 'screenshots.sqlite3'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed(session, load_dataset(PROJECT_ROOT / "data"))
        key = create_key(session, "curator", Scope.curator)
        session.commit()
    engine.dispose()
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level",
         "warning"],
        cwd=PROJECT_ROOT, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            time.sleep(0.1)
        yield base, key
    finally:
        process.terminate()
        process.wait(timeout=10)


def review(base: str, key: str) -> None:
    """Proposals from article A, one rejected and one accepted, as a curator would."""
    auth = {"Authorization": f"Bearer {key}"}
    ran = httpx.post(f"{base}/sources/article-a/proposals", headers=auth, timeout=60)
    items = ran.raise_for_status().json()["items"]
    wrong = next(p for p in items if p["relation"]["kind"] == "contradicts")
    right = next(p for p in items if p["relation"]["kind"] == "confirms")
    why = {"reason": "The list is hedged ('envisions'); the pledge it contradicts stands."}
    httpx.post(f"{base}/proposals/{wrong['id']}/reject", json=why, headers=auth).raise_for_status()
    httpx.post(f"{base}/proposals/{right['id']}/accept", headers=auth).raise_for_status()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        serving(Path(folder)) as (base, key),
        sync_playwright() as playwright,
    ):
        review(base, key)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, (address, width, height, top) in SHOTS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(base + address)
            if top:
                page.evaluate(f"document.querySelector('{top}').scrollIntoView()")
            path = OUT / f"{name}.png"
            page.screenshot(path=path)
            print(path.relative_to(PROJECT_ROOT))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
