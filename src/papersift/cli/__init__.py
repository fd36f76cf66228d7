"""The `papersift` command: the group and its options live in `common`, the commands in
`papers` (import, search, show, index, serve, ...), `members` (accounts, subscriptions, digests,
curation) and `results` (code links, results, leaderboards). Importing them registers them."""

from __future__ import annotations

import sys

from papersift.cli import members, papers, results  # noqa: F401  (registers the commands)
from papersift.cli.common import DEMO_CORPUS, cli

__all__ = ["DEMO_CORPUS", "cli", "main"]


def main() -> None:
    try:
        cli(obj={})
    except BrokenPipeError:  # `papersift export | head`
        sys.stderr.close()
        sys.exit(0)
