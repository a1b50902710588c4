"""The 12.x test data, loaded once per run: stand-ins, or the originals from a directory."""

from __future__ import annotations

import functools
import pathlib
from collections.abc import Callable

from wsconform.cases import testdata

__all__ = ["testdata_loader"]


def _key(name: str) -> str:
    """Accept a data file's key (``json_data1``) or its file name (``data1.json``)."""
    for data_file in testdata.FILES:
        if name in (data_file.key, data_file.file_name):
            return data_file.key
    raise KeyError(f"no test data file {name!r}")


def testdata_loader(directory: pathlib.Path | str | None = None) -> Callable[[str], bytes]:
    """A loader of test data by key or file name, caching each file after its first use.

    With ``directory``, the original files are read from there (``--testdata DIR``);
    otherwise the deterministic stand-ins are generated.

    The returned function raises ``KeyError`` for an unknown name, and
    ``FileNotFoundError`` / ``ValueError`` for a missing or non-UTF-8 original.
    """

    @functools.cache
    def load(name: str) -> bytes:
        return testdata.load(_key(name), directory)

    return load
