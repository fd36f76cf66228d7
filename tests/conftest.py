"""Fixtures shared by the tests of the Library, the CLI, sync and crash safety.

One suite, two backends: `pytest` runs on SQLite; `pytest --backend postgres` (or
PAPERSIFT_TEST_BACKEND=postgres) runs every test that stores through `db_location` (and so
`library`, `make_library`, `invoke`, `run_cli`) against a real PostgreSQL with pgvector, started
on loopback for the session (tests/pgserver.py), a fresh database per test. A test that names the
SQLite file (`db_path`) is SQLite's own and is left out of the PostgreSQL run, as are tests that
store nothing.

- `db_location`: where the test's library lives: a SQLite path, or a PostgreSQL URL.
- `library`: a fresh `Library` there, closed after the test; `make_library()` opens more.
- `shared_data`: `../shared/data` (or `$PAPERSIFT_SHARED_DATA`); tests that need it skip without it,
  each naming the missing path, and the run ends with a warning counting them (CI has the data;
  PAPERSIFT_REQUIRE_SHARED_DATA=1 makes a missing file fail the tests that need it instead).
- `run_cli`: runs the real `papersift` command in a subprocess with `PAPERSIFT_DB` set, the way
  a user (or cron) runs it, and returns the finished process (exit code, stdout, stderr).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from papersift import Library
from papersift.records import Paper
from papersift.settings import setting

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


BACKENDS = ("sqlite", "postgres")
TEMPLATE_DATABASE = "papersift_template"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=BACKENDS,
        default=os.environ.get("PAPERSIFT_TEST_BACKEND", "sqlite"),
        help="the store the library tests run against (PostgreSQL: a throw-away server on loopback)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--backend") == "postgres":
        kept, left_out = [], []
        for item in items:
            names = getattr(item, "fixturenames", ())
            on_postgres = "library_locations" in names or item.get_closest_marker("postgres") is not None
            (kept if on_postgres and "db_path" not in names else left_out).append(item)
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    config.stash[OPTIONAL_DATA_USERS] = sorted(
        {item.location[0] for item in items if "optional_arxiv_file" in getattr(item, "fixturenames", ())}
    )


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


class LibraryLocations:
    """Places for fresh libraries on the session's backend: `new(folder, name)` is a SQLite path in
    `folder`, or the URL of a fresh PostgreSQL database copied from the migrated template."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.made: list[str] = []

    def new(self, folder: Path, name: str = "lib") -> str:
        if self.server is None:
            return str(folder / f"{name}.db")
        database = f"t{len(self.made)}_{uuid.uuid4().hex[:8]}_{name}"[:63]
        self.made.append(database)
        return str(self.server.create_database(database, template=TEMPLATE_DATABASE))

    def drop(self, location: str) -> None:
        if self.server is not None:
            database = location.rsplit("/", 1)[1]
            self.server.drop_database(database)
            self.made.remove(database)


@pytest.fixture(scope="session")
def library_locations(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibraryLocations]:
    """The session's `LibraryLocations`; with --backend postgres, a server started for the session."""
    if backend == "sqlite":
        yield LibraryLocations(None)
        return
    from papersift.store import open_store
    from pgserver import PostgresTestServer, ServerUnavailable

    try:
        server = PostgresTestServer.start(tmp_path_factory.mktemp("postgres"))
    except ServerUnavailable as error:
        pytest.fail(f"--backend postgres, but no PostgreSQL could start: {error}")
    # The index caches of PostgreSQL libraries go to the session's folder; built model graphs are
    # shared with the user's cache (they take seconds to build).
    cache = tmp_path_factory.mktemp("cache")
    user_models = Path(setting("cache_dir")) / "models"
    user_models.mkdir(parents=True, exist_ok=True)
    (cache / "models").symlink_to(user_models)
    saved_cache = os.environ.get("PAPERSIFT_CACHE_DIR")
    os.environ["PAPERSIFT_CACHE_DIR"] = str(cache)
    try:
        open_store(server.create_database(TEMPLATE_DATABASE)).close()
        yield LibraryLocations(server)
    finally:
        server.stop()
        if saved_cache is None:
            os.environ.pop("PAPERSIFT_CACHE_DIR", None)
        else:
            os.environ["PAPERSIFT_CACHE_DIR"] = saved_cache


@pytest.fixture
def new_location(library_locations: LibraryLocations, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """`new_location(name)`: a place for a fresh library, dropped after the test."""
    made: list[str] = []

    def make(name: str = "lib") -> str:
        made.append(library_locations.new(tmp_path, name))
        return made[-1]

    yield make
    for location in made:
        library_locations.drop(location)


@pytest.fixture
def db_location(new_location: Callable[[str], str]) -> str:
    return new_location("lib")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The test's SQLite file (a test naming it is SQLite's own)."""
    return tmp_path / "lib.db"


@pytest.fixture
def make_library(new_location: Callable[[str], str]) -> Iterator[Callable[..., Library]]:
    """`make_library(name="lib", **options)`: a fresh Library on the test's backend, closed after."""
    opened: list[Library] = []

    def make(name: str = "lib", **options: Any) -> Library:
        opened.append(Library.open(new_location(name), **options))
        return opened[-1]

    yield make
    for lib in opened:
        lib.close()


@pytest.fixture
def library(db_location: str) -> Iterator[Library]:
    lib = Library.open(db_location)
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


# Every skip for want of shared data starts with this, so the run's summary can count them.
SHARED_DATA_MISSING = "shared data missing"
# Set when `optional_arxiv_file` found no records: its tests ran on less data (the summary says so).
RAN_SMALLER = pytest.StashKey[bool]()
# The files of the tests that use `optional_arxiv_file`, for that line of the summary.
OPTIONAL_DATA_USERS = pytest.StashKey[list[str]]()


def without_shared_data(what: str, path: Path) -> NoReturn:
    """Skip (or, with PAPERSIFT_REQUIRE_SHARED_DATA set, fail) a test whose shared data is absent."""
    reason = f"{SHARED_DATA_MISSING}: {what} not found at {path} (set PAPERSIFT_SHARED_DATA)"
    if os.environ.get("PAPERSIFT_REQUIRE_SHARED_DATA"):
        pytest.fail(reason + "; PAPERSIFT_REQUIRE_SHARED_DATA is set", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def optional_arxiv_file(request: pytest.FixtureRequest) -> Path | None:
    """The shared arXiv records if present (tests that merely use more data when they can)."""
    path = shared_data_path() / "arxiv" / ARXIV_FILE_NAME
    if path.is_file():
        return path
    request.config.stash[RAN_SMALLER] = True
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_path()
    if not path.is_dir():
        without_shared_data("the shared data folder", path)
    return path


@pytest.fixture(scope="session")
def seeds(shared_data: Path) -> Path:
    path = shared_data / "seeds"
    if not path.is_dir():
        without_shared_data("the seed files", path)
    return path


@pytest.fixture(scope="session")
def arxiv_file(shared_data: Path) -> Path:
    path = shared_data / "arxiv" / ARXIV_FILE_NAME
    if not path.is_file():
        without_shared_data("the arXiv records", path)
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """A warning no one scrolls past when tests did not run, or ran smaller, for want of shared data."""
    missing = [
        report.nodeid
        for report in terminalreporter.stats.get("skipped", [])
        if SHARED_DATA_MISSING in str(getattr(report, "longrepr", ""))
    ]
    smaller = config.stash.get(OPTIONAL_DATA_USERS, []) if config.stash.get(RAN_SMALLER, False) else []
    if not missing and not smaller:
        return
    terminalreporter.write_sep("!", "shared data missing", yellow=True, bold=True)
    if missing:
        terminalreporter.write_line(
            f"{len(missing)} test(s) skipped for want of shared data under {shared_data_path()} "
            "(set PAPERSIFT_SHARED_DATA; CI has it at ../shared/data)",
            yellow=True,
            bold=True,
        )
    if smaller:
        records = shared_data_path() / "arxiv" / ARXIV_FILE_NAME
        terminalreporter.write_line(
            f"ran on less data, without the arXiv records at {records}: " + ", ".join(smaller),
            yellow=True,
            bold=True,
        )


def cli_environment(db: str | Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PAPERSIFT_DB"] = str(db)
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"  # long messages stay on one line
    return env


@pytest.fixture
def invoke(db_location: str) -> CliRun:
    """Run the CLI in this process (fast; for the many small cases), like `run_cli`.

    An exception escaping the command (what a user would see as a traceback) fails the test.
    """
    from click.testing import CliRunner

    from papersift.cli import cli

    def run(
        *args: str | os.PathLike[str],
        input: str | bytes | None = None,
        db: str | Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        runner = CliRunner()
        environment = {"PAPERSIFT_DB": str(db or db_location), **(env or {})}
        result = runner.invoke(cli, [str(a) for a in args], input=input, env=environment, obj={})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"papersift {args} raised {result.exception!r}") from result.exception
        return subprocess.CompletedProcess(
            list(map(str, args)), result.exit_code, result.stdout, result.stderr
        )

    return run


@pytest.fixture
def run_cli(db_location: str, tmp_path: Path) -> CliRun:
    """Run `papersift ARGS...` against the test's database; `input` is fed to stdin."""

    def run(
        *args: str | os.PathLike[str],
        input: str | bytes | None = None,
        db: str | Path | None = None,
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
            env={**cli_environment(db or db_location), **(env or {})},
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


def demo_lines(count: int) -> list[str]:
    """The first `count` records of the bundled demo corpus, as JSON lines."""
    from papersift.cli import DEMO_CORPUS

    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        return list(itertools.islice(lines, count))


def demo_sample(path: Path, count: int) -> Path:
    """A JSON Lines file of the first `count` demo records."""
    path.write_text("".join(demo_lines(count)), encoding="utf-8")
    return path


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


@contextlib.contextmanager
def served_in_thread(app: Any) -> Iterator[str]:
    """uvicorn serving `app` on a free loopback port from a thread; yields its base URL."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


@contextlib.contextmanager
def served_in_process(db: str, folder: Path, env: dict[str, str]) -> Iterator[str]:
    """`papersift serve` on a free loopback port in its own process (its log in `folder`);
    yields its base URL once it answers, and stops it afterwards."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [*papersift_command(), "serve", "--port", str(port)],
        env={**cli_environment(db), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/static/favicon.svg", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start:\n" + (folder / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
