"""The `pledgedb` CLI as tests run it: in process through its own parser (`pledgedb`), or as
the installed console script in a subprocess with a clean environment (`pledgedb_process`); and
`pledgedb serve` on a free loopback port, bounded in time and stopped (then killed) on the way
out. bench/load.py uses these too."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess  # noqa: S404
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PLEDGEDB = Path(sys.executable).parent / "pledgedb"
HOST = "127.0.0.1"
CLI_TIMEOUT = 180.0  # seconds, any one CLI command
SERVER_START = 20.0  # seconds the server may take to answer /healthz


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PLEDGEDB_") and k != "DATABASE_URL"
    }
    env.update(DATABASE_URL=database_url, NO_COLOR="1", TERM="dumb", COLUMNS="200")
    env.update(extra)
    return env


def pledgedb(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`pledgedb ARGS` in this process, through the CLI's own parser (Typer's CliRunner), as the
    console script would run it: in ``cwd``, with ``DATABASE_URL`` and no other PLEDGEDB_
    setting, stdout and stderr apart, the exit code, and an uncaught exception's traceback on
    stderr. In process because a subprocess spends 1.5 s importing before its first line runs;
    the tests that are about the process itself (the console script, `serve`, signals) use
    `pledgedb_process`."""
    from typer.testing import CliRunner

    from app.cli.main import cli
    from app.config import get_settings

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PLEDGEDB_")}
    env.update(DATABASE_URL=database_url, NO_COLOR="1", TERM="dumb", COLUMNS="200")
    here = Path.cwd()
    get_settings.cache_clear()  # settings are read from the environment set for this run
    try:
        os.chdir(cwd)
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)
    finally:
        os.chdir(here)
        get_settings.cache_clear()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["pledgedb", *args], result.exit_code, result.stdout, stderr)


def pledgedb_process(
    *args: str, database_url: str, cwd: Path, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """`pledgedb ARGS`: the installed console script, in a subprocess of its own."""
    return subprocess.run(  # noqa: S603
        [str(PLEDGEDB), *args],
        cwd=cwd,
        env=cli_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def prepare_database(database_url: str, cwd: Path) -> None:
    """Migrate and seed with the CLI."""
    for args in (("migrate",), ("seed", "--json")):
        result = pledgedb_process(*args, database_url=database_url, cwd=cwd)
        if result.returncode != 0:
            raise RuntimeError(f"pledgedb {' '.join(args)} failed:\n{result.stderr}")


def create_key(database_url: str, cwd: Path, name: str | None = None) -> str:
    name = name or f"load-{uuid.uuid4().hex[:8]}"
    result = pledgedb_process(
        "keys", "create", "--name", name, "--scope", "curator", database_url=database_url, cwd=cwd
    )
    if result.returncode != 0:
        raise RuntimeError(f"pledgedb keys create failed:\n{result.stderr}")
    return result.stdout.strip().splitlines()[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's workers), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Server:
    """A `pledgedb serve` subprocess on a free loopback port."""

    database_url: str
    cwd: Path
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log(self) -> Path:
        return self.cwd / f"serve-{self.port}.log"

    def start(self) -> Server:
        self.port = free_port()
        env = cli_env(
            self.database_url,
            # Load runs write far more than one address may in production (60 a minute).
            PLEDGEDB_WRITE_RATE_PER_MINUTE="10000000",
            **self.extra_env,
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(PLEDGEDB),
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],  # fmt: skip
                cwd=self.cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}:\n{self.log_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/readyz", timeout=2.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server not ready in {SERVER_START}s:\n{self.log_text()}")
            time.sleep(0.1)
        # With several workers each answers on its own: wait until all of them are up.
        if self.workers > 1:
            while len(self.pids()) <= self.workers and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)
        return self

    def pids(self) -> list[int]:
        return descendants(self.process.pid) if self.process else []

    def rss(self) -> dict[int, int]:
        return {pid: rss_kib(pid) for pid in self.pids()}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        assert self.process is not None  # noqa: S101
        return self.process.wait(timeout=timeout)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL (of the whole tree) if it does not exit within 15 s."""
        if self.process is None:
            return None
        tree = self.pids()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in tree:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in tree[1:]:  # orphaned workers, if any
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return self.process.returncode

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
