"""Time a digest run: 10,000 subscribers over a day of 2,000 new papers, SMTP excluded.

Why: issue 5 asks that `papersift digest send` for 10,000 subscribers over a day of 2,000 new
papers take at most 5 minutes on this 2-core machine, not counting the SMTP server's own time.

Setup, in a scratch copy of a library of the 74,728-paper crawl with its embeddings (the copy is
made once and reused; the original is never written):
- the 2,000 newest papers are re-dated to one new day D (re-imported with that date, as a fresh
  harvest would bring them; their texts are unchanged, so nothing is embedded again);
- N members (default 10,000), each with a seeded mix of subscriptions: one search (2-4 words of
  a paper's title; hybrid matching), an author (half of them), a category (half), papers like
  a collection of 5 saved papers (a fifth), the trending list (a fifth). Members are created
  with one password hash computed once (argon2 takes ~50 ms a hash: 10,000 would be the whole
  bench); everything else goes through the Library as the CLI does.
The run is `Library.send_digests` for day D with a sender that only serialises each message
(what smtplib would do before writing to the socket): the time of the SMTP server is left out,
as the issue says. Printed: members, subscriptions, digests sent and empty, total seconds and
per member, and the share of the run spent composing digests vs building messages.

With `--for-you`, it times members' "For you" pages (`Library.recommendations`) on the same
library instead: the first page in a fresh process and the warm ones after it.

Run:   .venv/bin/python bench/bench_digest.py --db /tmp/loadtest/arxiv75k.db [--members 10000]
           [--scratch DIR] [--profile] [--for-you]
       --db: a library of the crawl with embeddings (bench_semantic.py --cache builds one).
       .venv/bin/python bench/bench_digest.py --quick   # smoke test, no verdict: a library of 20
           demo papers it builds in a temporary folder, 5 new papers, 10 members; then --for-you
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import _common
from _common import REPO

sys.path.insert(0, str(REPO / "src"))

from papersift import Library
from papersift.members.accounts import _hasher

TARGET_SECONDS = 300.0
NEW_PAPERS = 2_000
NEW_ID = "2607.9"  # ids of the day's papers
SEED = 20261121


def scratch_copy(db: Path, scratch: Path) -> Path:
    """A copy of the library (database and index files) to write to; made once."""
    target = scratch / "digest-bench.db"
    if not target.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        print(f"copying {db} to {target} ...", flush=True)
        shutil.copy(db, target)
        index = db.parent / f"{db.name}-index"
        if index.is_dir():
            shutil.copytree(index, scratch / f"{target.name}-index", dirs_exist_ok=True)
    return target


def prepare(lib: Library, members: int, rng: random.Random) -> tuple[object, int]:
    """Re-date the newest papers to a new day and create the members; (the day, subscriptions)."""
    papers = [p for p in lib.papers() if p.published is not None and not p.id.startswith(NEW_ID)]
    latest = max(p.published for p in papers if p.published)
    day = latest + timedelta(days=1)
    if lib.daily(day, limit=1).total < NEW_PAPERS:
        # A merge keeps a paper's first publication date, so old papers cannot be re-dated: the
        # day's papers are sequels of random older ones (new ids, " II" titles, same abstracts),
        # imported and embedded as a harvest would bring them (~1 minute, once).
        print(f"importing {NEW_PAPERS:,} new papers dated {day} ...", flush=True)
        sources = rng.sample(papers, NEW_PAPERS)
        lib.ingest_records(
            [
                replace(
                    p, id=f"{NEW_ID}{n:05d}", arxiv_id=None, doi=None, title=f"{p.title} II", published=day
                )
                for n, p in enumerate(sources)
            ]
        )
        lib.refresh_index()
    existing = len(lib.accounts.users())
    if existing >= members:
        return day, sum(len(lib.subscriptions(u)) for u in lib.accounts.users()[:members])
    print(f"creating {members - existing:,} members and their subscriptions ...", flush=True)
    password_hash = _hasher.hash("a password nobody uses")
    older = papers
    authors = [a for p in rng.sample(older, min(20_000, len(older))) for a in p.authors[:2]]
    categories = sorted({c for p in older[-20_000:] for c in p.categories if c.startswith("cs.")})
    subscriptions = 0
    for number in range(existing, members):
        user_id = lib.store.create_user(f"member{number}@example.org", f"Member {number}", password_hash)
        assert user_id is not None
        user = lib.accounts.user(f"member{number}@example.org")
        assert user is not None
        words = rng.choice(older).title.split()
        size = min(len(words), rng.randint(2, 4))
        start = rng.randint(0, len(words) - size)
        lib.subscribe(user, "query", " ".join(words[start : start + size]))
        subscriptions += 1
        if rng.random() < 0.5:
            lib.subscribe(user, "author", rng.choice(authors))
            subscriptions += 1
        if rng.random() < 0.5:
            lib.subscribe(user, "category", rng.choice(categories))
            subscriptions += 1
        if rng.random() < 0.2:
            lib.save_papers(user, [p.id for p in rng.sample(older, 5)], "Reading")
            lib.subscribe(user, "collection", "Reading")
            subscriptions += 1
        if rng.random() < 0.2:
            lib.subscribe(user, "trending")
            subscriptions += 1
        if (number + 1) % 1000 == 0:
            print(f"  {number + 1:,} members", flush=True)
    return day, subscriptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a library of the crawl with embeddings (required)")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--scratch", type=Path, default=Path(tempfile.gettempdir()) / "papersift-digest-bench"
    )
    parser.add_argument("--profile", action="store_true", help="print where the run's time goes")
    parser.add_argument(
        "--for-you", action="store_true", help="time members' For you pages instead of a digest run"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 20 demo papers in a temporary library, 5 new, 10 members; then --for-you",
    )
    args = parser.parse_args()
    if not args.quick:
        if args.db is None:
            parser.error("--db is required (or --quick)")
        run(args)
        return
    _common.quick_note()
    global NEW_PAPERS
    NEW_PAPERS, args.members = 5, 10
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as folder:
        args.db = Path(_common.quick_library(Path(folder), 20, location=str(Path(folder) / "source.db")))
        args.scratch = Path(folder) / "scratch"
        run(args)
        args.for_you = True
        run(args)


def run(args: argparse.Namespace) -> None:
    rng = random.Random(SEED)
    path = scratch_copy(args.db, args.scratch)
    with Library.open(path, embedding_model="all-MiniLM-L6-v2") as lib:
        day, subscriptions = prepare(lib, args.members, rng)
        if args.for_you:
            time_for_you(lib, day)
            return
        lib.store.prune_digests((day + timedelta(days=1)).isoformat())  # each run is a first send
        new_papers = lib.daily(day, limit=1).total
        building = 0.0
        sent_bytes = 0

        def send(message: EmailMessage) -> None:
            nonlocal building, sent_bytes
            started = time.perf_counter()
            sent_bytes += len(message.as_bytes())
            building += time.perf_counter() - started

        lib.search("warm up", limit=1)
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        run = lib.send_digests(send, day=day, base_url="https://papers.example.org")
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    print(
        f"\n{args.members:,} members, {subscriptions:,} subscriptions, {new_papers:,} new papers on {day}\n"
        f"digests sent {run.sent:,}, empty {run.empty:,}; {sent_bytes / 1e6:.1f} MB of mail\n"
        f"run: {seconds:.1f} s ({seconds / max(1, args.members) * 1000:.1f} ms a member; "
        f"serialising messages {building:.1f} s); target <= {TARGET_SECONDS:.0f} s: "
        f"{'ok' if seconds <= TARGET_SECONDS else 'MISSED'}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    if not args.quick:
        sys.exit(0 if seconds <= TARGET_SECONDS else 1)


def time_for_you(lib: Library, day: object) -> None:
    """A "For you" page (`Library.recommendations`, 30 papers over the week to `day`) for 20
    members with 5 saved papers: the first in a fresh process, then the others (warm: the week's
    papers' terms are cached per process)."""
    members = [u for u in lib.accounts.users() if lib.collections(u)][:20]
    if not members:
        sys.exit("no member has saved papers")
    seconds = []
    for user in members:
        started = time.perf_counter()
        lib.recommendations(user, limit=30, today=day)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - started)
    week = lib.daily(day, period="week", limit=1).total  # type: ignore[arg-type]
    warm = sorted(seconds[1:] or seconds)
    print(
        f"For you over the week to {day} ({week:,} papers), {len(members)} members with saved papers: "
        f"first {seconds[0] * 1000:.0f} ms, then median {warm[len(warm) // 2] * 1000:.0f} ms, "
        f"max {warm[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
