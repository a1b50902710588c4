"""Writing a report file so that a reader never sees half of it."""

from __future__ import annotations

import os
import pathlib
import tempfile

__all__ = ["write_text"]


def write_text(path: pathlib.Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file in the same directory, then rename.

    A CI job that uploads the report directory while a run is still writing, or a
    browser reloading the index, sees the old file or the new one, never a prefix.

    Raises:
        OSError: the directory cannot be written.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
