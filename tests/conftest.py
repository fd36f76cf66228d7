"""Fixtures shared by the tests of the Library, the CLI, sync and crash safety.

- `library`: a fresh `Library` in a temporary folder, closed after the test.
- `shared_data`: `../shared/data` (or `$PAPERSIFT_SHARED_DATA`); tests that need it skip without it.
- `run_cli`: runs the real `papersift` command in a subprocess with `PAPERSIFT_DB` set, the way
  a user (or cron) runs it, and returns the finished process (exit code, stdout, stderr).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from papersift import Library
from papersift.records import Paper

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARXIV_FILE_NAME = "arxiv-cs-2025-03_2026-07.jsonl.gz"

CliRun = Callable[..., subprocess.CompletedProcess[str]]

# Tests of everything but meaning run without embedding (a few seconds per ingest otherwise);
# the semantic tests open their libraries with the real model, named here.
os.environ["PAPERSIFT_EMBEDDING_MODEL"] = "none"
MODEL = "all-MiniLM-L6-v2"
WITH_MODEL = {"PAPERSIFT_EMBEDDING_MODEL": MODEL}


def papersift_command() -> list[str]:
    """The installed `papersift` script beside this interpreter, else the module entry point."""
    script = Path(sys.executable).parent / "papersift"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from papersift.cli import main; main()"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lib.db"


@pytest.fixture
def library(db_path: Path) -> Iterator[Library]:
    lib = Library.open(db_path)
    try:
        yield lib
    finally:
        lib.close()


def shared_data_path() -> Path:
    """$PAPERSIFT_SHARED_DATA, else the team's shared folder beside the checkout or at /work."""
    location = os.environ.get("PAPERSIFT_SHARED_DATA")
    if location:
        return Path(location)
    beside = REPO.parent / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


@pytest.fixture(scope="session")
def optional_arxiv_file() -> Path | None:
    """The shared arXiv records if present (tests that merely use more data when they can)."""
    path = shared_data_path() / "arxiv" / ARXIV_FILE_NAME
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_path()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set PAPERSIFT_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def seeds(shared_data: Path) -> Path:
    path = shared_data / "seeds"
    if not path.is_dir():
        pytest.skip(f"seed files not found at {path}")
    return path


@pytest.fixture(scope="session")
def arxiv_file(shared_data: Path) -> Path:
    path = shared_data / "arxiv" / ARXIV_FILE_NAME
    if not path.is_file():
        pytest.skip(f"arXiv records not found at {path}")
    return path


def cli_environment(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PAPERSIFT_DB"] = str(db)
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"  # long messages stay on one line
    return env


@pytest.fixture
def invoke(db_path: Path) -> CliRun:
    """Run the CLI in this process (fast; for the many small cases), like `run_cli`.

    An exception escaping the command (what a user would see as a traceback) fails the test.
    """
    from click.testing import CliRunner

    from papersift.cli import cli

    def run(
        *args: str | os.PathLike[str],
        input: str | bytes | None = None,
        db: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        runner = CliRunner()
        environment = {"PAPERSIFT_DB": str(db or db_path), **(env or {})}
        result = runner.invoke(cli, [str(a) for a in args], input=input, env=environment, obj={})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"papersift {args} raised {result.exception!r}") from result.exception
        return subprocess.CompletedProcess(
            list(map(str, args)), result.exit_code, result.stdout, result.stderr
        )

    return run


@pytest.fixture
def run_cli(db_path: Path, tmp_path: Path) -> CliRun:
    """Run `papersift ARGS...` against the test's database; `input` is fed to stdin."""

    def run(
        *args: str | os.PathLike[str],
        input: str | bytes | None = None,
        db: Path | None = None,
        timeout: float = 60,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        command: Sequence[str] = [*papersift_command(), *map(str, args)]
        if isinstance(input, str):
            input = input.encode()
        finished = subprocess.run(
            command,
            input=input,
            capture_output=True,
            env={**cli_environment(db or db_path), **(env or {})},
            cwd=tmp_path,
            timeout=timeout,
            check=False,
        )
        return subprocess.CompletedProcess(
            finished.args,
            finished.returncode,
            finished.stdout.decode("utf-8", errors="replace"),
            finished.stderr.decode("utf-8", errors="replace"),
        )

    return run


def store(library: Library, papers: list[Paper]) -> Library:
    """`library` holding `papers`, indexed."""
    library.ingest_records(papers)
    library.refresh_index()
    return library


class InProcess:
    """A web app in this process through `httpx.ASGITransport`, called synchronously by tests."""

    def __init__(self, app: FastAPI, base_url: str = "http://testserver") -> None:
        import httpx

        self.app = app
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, url, **options))

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
