"""A throw-away PostgreSQL with pgvector for the benchmarks (the test suite's, tests/pgserver.py),
tuned for bulk work, that keeps running until stopped.

Run:   .venv/bin/python bench/pg_server.py start DIR      # prints the URL of database "papersift"
       .venv/bin/python bench/pg_server.py stop DIR

Durability is off (fsync, synchronous_commit): the data is for measuring, not keeping.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import _common

sys.path.insert(0, str(_common.REPO / "tests"))
from pgserver import RUN_AS, PostgresTestServer, bin_dir

SETTINGS = {
    "shared_buffers": "2GB",
    # An HNSW build at 1M papers needs ~2 GB; pgvector slows sharply once its graph stops fitting.
    "maintenance_work_mem": "4GB",
    "max_parallel_maintenance_workers": "1",  # the second core of this machine
    "work_mem": "64MB",
    "effective_cache_size": "8GB",
    "max_wal_size": "8GB",
}


def main() -> None:
    command, directory = sys.argv[1], Path(sys.argv[2])
    state = directory / "server.json"
    if command == "start":
        server = PostgresTestServer.start(directory / "pg", settings=SETTINGS)
        url = server.create_database("papersift")
        state.write_text(json.dumps({"directory": str(server.directory), "port": server.port, "url": url}))
        print(url)
    elif command == "stop":
        saved = json.loads(state.read_text())
        run_as = RUN_AS if os.geteuid() == 0 else None
        server = PostgresTestServer(Path(saved["directory"]), saved["port"], bin_dir(), run_as)
        server.stop()
        state.unlink()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
