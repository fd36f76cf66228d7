"""Several server processes on one port, each with its own listening socket (SO_REUSEPORT).

Why not uvicorn's `--workers`: its workers share one listening socket, and whichever wakes first
accepts every connection waiting (asyncio accepts up to the backlog in one go), so keep-alive
clients (a reverse proxy's upstream pool, a load generator) stick to one worker while the others
idle: measured 1.00 + 0.23 cores busy out of 2 under load (docs/notes/web-load.md). With a socket
per process the kernel spreads new connections over them. Linux balances SO_REUSEPORT sockets;
other systems (macOS hands everything to one socket, Windows has no such option) get uvicorn's
workers.

The supervisor restarts a worker that dies once it has served, stops everything when one dies
before it could (a broken database, say: restarting would loop), and passes SIGINT/SIGTERM on
for a graceful shutdown.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType
from typing import Any

from papersift.processes import when_parent_dies

log = logging.getLogger("papersift.web")

# How long workers may take to finish their requests once asked to stop.
SHUTDOWN_SECONDS = 10.0


def balanced_sockets_available() -> bool:
    """Whether the kernel balances connections over SO_REUSEPORT sockets (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that other processes may bind too (not yet listening)."""
    family, address = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(address)
    return sock


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    family, _kind, _protocol, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return family, address


def _free_port(host: str, port: int) -> int:
    """`port` (or a free one for 0) if nothing listens there, else OSError. Checked with an
    exclusive socket: SO_REUSEPORT alone would let a second papersift share a running one's port."""
    family, address = _address(host, port)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
        found: int = probe.getsockname()[1]
        return found


def serve_workers(db: str, host: str, port: int, workers: int) -> int:
    """Serve the library at `db` from `workers` processes on one port; the exit status."""
    # The anchor is bound (never listening) for the whole run: it holds the port for the workers
    # while they start and restart.
    port = _free_port(host, port)
    anchor = listening_socket(host, port)
    context = multiprocessing.get_context("spawn")
    running: dict[int, tuple[BaseProcess, Event]] = {}
    stopping = False

    def start(slot: int) -> None:
        ready = context.Event()
        process = context.Process(
            target=_worker, args=(db, host, port, ready), name=f"papersift-worker-{slot}", daemon=False
        )
        process.start()
        running[slot] = (process, ready)

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process, _ready in running.values():
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        for slot in range(workers):
            start(slot)
        while running and not stopping:
            sentinels = {process.sentinel: slot for slot, (process, _ready) in running.items()}
            for ended in wait(list(sentinels), timeout=1.0):
                slot = sentinels[ended]  # type: ignore[index]
                process, ready = running.pop(slot)
                process.join()
                if stopping:
                    continue
                if not ready.is_set():
                    log.error("worker %d failed to start (exit status %s)", slot, process.exitcode)
                    status = 1
                    stop(signal.SIGTERM, None)
                else:
                    log.warning("worker %d died (exit status %s): restarting it", slot, process.exitcode)
                    start(slot)
    finally:
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for process, _ready in running.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        anchor.close()
    return status


def _worker(db: str, host: str, port: int, ready: Event) -> None:
    """One server process: its own socket on the shared port, the app over the library at `db`."""
    import uvicorn

    from papersift.library import Library
    from papersift.web.app import create_app

    # Signals come from the supervisor only, once: a Ctrl+C at the terminal reaches the
    # supervisor's process group, not this one (twice, uvicorn would stop without finishing requests).
    os.setpgrp()
    _exit_with_parent()
    sock = listening_socket(host, port)
    app = create_app(Library.open(db), warm_up=True, close_library=True)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:  # the app has warmed up and the socket is listening
                ready.set()

    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises a SIGINT again once it has stopped
        Server(uvicorn.Config(app, host=host, port=port, proxy_headers=True)).run(sockets=[sock])


def _exit_with_parent() -> None:
    """Stop gracefully if the supervisor disappears (killed): no orphan keeps the port."""
    when_parent_dies(lambda: os.kill(os.getpid(), signal.SIGTERM))
