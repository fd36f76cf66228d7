"""Which of papersift's modules one command passes through, in call order.

    PYTHONPATH=src .venv/bin/python tools/call_path.py --db papers.db search --mode keyword "graph"

Runs the `papersift` command in this process under `sys.setprofile` and prints the modules of
papersift whose functions were entered, in the order control reached them, consecutive repeats
collapsed; then the same by room (a top-level module or folder) and how many times each room
was entered, the measure of a tangled shape (issue 15: a search entered library.py five times).
Module-level code run by imports is left out (only calls made while the command runs count).
"""

from __future__ import annotations

import sys
from collections import Counter
from types import FrameType
from typing import Any


def main() -> None:
    from papersift.cli import cli

    path: list[str] = []
    started = False

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call" or not started:
            return
        module = frame.f_globals.get("__name__", "")
        entering = module.startswith("papersift") and frame.f_code.co_name != "<module>"
        if entering and (not path or path[-1] != module):
            path.append(module)

    sys.setprofile(profile)
    started = True
    try:
        cli.main(args=sys.argv[1:], prog_name="papersift", standalone_mode=False)
    finally:
        sys.setprofile(None)
    # Rooms: the package's top-level modules and folders (library, search, store, cli, ...).
    rooms: list[str] = []
    for name in path:
        room = name.split(".")[1] if "." in name else name
        if not rooms or rooms[-1] != room:
            rooms.append(room)
    print("modules: " + " -> ".join(name.removeprefix("papersift.") for name in path), file=sys.stderr)
    print("rooms:   " + " -> ".join(rooms), file=sys.stderr)
    entries = Counter(rooms)
    print(
        "times each room was entered: " + ", ".join(f"{room} {n}" for room, n in entries.most_common()),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
