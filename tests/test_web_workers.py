"""`papersift serve --workers N`: one port, a listening socket per worker, a supervisor.

Real processes on loopback: the command as a user starts it, connections from this test, signals
sent as systemd or a terminal would. Linux only (the balanced SO_REUSEPORT sockets are).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CliRun, cli_environment, papersift_command

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def sockets_of(pid: int, port: int) -> int:
    """The established connections to `port` that process `pid` holds: a worker's own sockets
    (a database connection per request thread on PostgreSQL) are not counted."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port and state == "01":  # 01: ESTABLISHED
                inodes.add(inode)
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        count += link.startswith("socket:[") and link[len("socket:[") : -1] in inodes
    return count


def wait_until(condition: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/")
        return connection.getresponse().status == 200
    except OSError:
        return False


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def workers(self) -> set[int]:
        # Workers are the supervisor's spawned children; multiprocessing's resource tracker is
        # a child too.
        return {pid for pid in children(self.process.pid) if "spawn_main" in _command_line(pid)}

    def ready(self, count: int) -> bool:
        started = self.log.read_text(errors="replace").count("Application startup complete")
        return started >= count and answers(self.port)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.fixture
def served(run_cli: CliRun, db_location: str, tmp_path: Path) -> Iterator[Served]:
    assert run_cli("ingest", "--demo").returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            [*papersift_command(), "serve", "--port", str(port), "--workers", "2"],
            stdout=stream,
            stderr=subprocess.STDOUT,
            env=cli_environment(db_location),
        )
    server = Served(process, port, log)
    try:
        wait_until(lambda: server.ready(2) or process.poll() is not None)
        assert process.poll() is None, log.read_text()
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_connections_are_spread_over_the_workers(served: Served) -> None:
    workers = served.workers()
    assert len(workers) == 2
    before = {pid: sockets_of(pid, served.port) for pid in workers}
    connections = []
    for _ in range(16):  # kept open, as a proxy's upstream pool or a load generator keeps them
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        connections.append(connection)
    gained = {pid: sockets_of(pid, served.port) - before[pid] for pid in workers}
    # uvicorn's shared socket gave all 16 to one worker; the kernel's hash leaves a worker
    # without any with probability 2 / 2**16.
    assert sum(gained.values()) == 16 and min(gained.values()) >= 1, gained
    for connection in connections:
        connection.close()


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_everything(served: Served) -> None:
    first = served.workers()
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(served.workers()) == 2 and victim not in served.workers())
    wait_until(lambda: served.ready(3))
    assert all(answers(served.port) for _ in range(10))
    workers = served.workers()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in workers)
    assert "Finished server process" in served.log.read_text()


def test_workers_go_when_the_supervisor_is_killed(served: Served) -> None:
    workers = served.workers()
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=10)
    wait_until(lambda: all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in workers), 30)
    assert not answers(served.port)


def test_a_taken_port_is_a_clear_error(served: Served, run_cli: CliRun) -> None:
    second = run_cli("serve", "--port", str(served.port), "--workers", "2", timeout=60)
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{served.port}" in second.stderr
    assert "in use" in second.stderr
    assert answers(served.port)  # the running server is untouched


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
