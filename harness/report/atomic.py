"""Writing a report file so that a reader never sees half of it."""

from __future__ import annotations

import os
import pathlib
import tempfile

__all__ = ["file_mode", "write_text"]


def file_mode() -> int:
    """The mode a new file gets under the process's umask (``0o644`` under ``022``).

    :func:`tempfile.mkstemp` creates its file with mode ``0o600`` whatever the umask,
    which would keep a web server from serving the report; the file is given this mode
    before it is renamed into place.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: pathlib.Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file in the same directory, then rename.

    A CI job that uploads the report directory while a run is still writing, or a
    browser reloading the index, sees the old file or the new one, never a prefix. The
    file gets the mode of an ordinary new file (:func:`file_mode`).

    Raises:
        OSError: the directory cannot be written.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
