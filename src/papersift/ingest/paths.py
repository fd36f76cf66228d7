"""What an import reads: files from paths, folders and glob patterns, and "-" for standard input."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator

from papersift.records import BadRecord, IngestReport


def expand_paths(paths: Iterable[str | os.PathLike[str]], report: IngestReport) -> Iterator[str]:
    """Files from paths, folders (recursively, hidden files skipped) and glob patterns."""
    for raw in paths:
        path = str(raw)
        if path == "-":
            yield path
            continue
        if os.path.isdir(path):
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(folder, name)
            continue
        if not os.path.exists(path) and glob.has_magic(path):
            matched = sorted(glob.glob(path, recursive=True))
            if not matched:
                report.failed_files.append(BadRecord(path, "no file matches this pattern"))
            yield from (m for m in matched if os.path.isfile(m))
            continue
        if not os.path.exists(path):
            report.failed_files.append(BadRecord(path, "no such file or folder"))
            continue
        yield path
