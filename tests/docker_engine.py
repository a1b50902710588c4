"""A real Docker engine for the tests, and a small image of the reference server.

Images cannot be pulled here, so :func:`reference_image` builds one with ``docker
import`` from a root filesystem made at test time: Debian's ``python3.11`` with the
shared libraries it and its extension modules load, the standard library, and this
repository's ``reference/`` package. Its tag holds a hash of that content, so each test
session (and each xdist worker) builds it at most once.

The engine itself is installed and started by ``.ci/docker-engine`` (``make
docker-engine``), which ``.ci/run`` calls. When no engine answers, :func:`engine`
skips with the reason; with ``WSCONFORM_REQUIRE_DOCKER=1`` (``.ci/run`` sets it) it
fails instead, so CI never skips the Docker tests silently.
"""

from __future__ import annotations

import hashlib
import io
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile
from typing import Any

import pytest

__all__ = ["IMAGE_PORT", "engine", "leftover_containers", "reference_image"]

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHON = pathlib.Path("/usr/bin/python3.11")
STDLIB = pathlib.Path("/usr/lib/python3.11")
#: The port the image's reference server listens on.
IMAGE_PORT = 9001
_SKIPPED_DIRS = {"test", "idlelib", "tkinter", "lib2to3", "ensurepip", "__pycache__",
                 "dist-packages", "site-packages", "turtledemo", "pydoc_data"}  # fmt: skip

_ENTRY = """\
import argparse, sys
from wsconform.reference import cli
parser = argparse.ArgumentParser(prog="reference")
cli.register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""
_PACKAGE_INIT = '__all__ = ["__version__"]\n__version__ = "0.1.0"\n'


def engine() -> Any:
    """A client of a running Docker engine; skips (or fails in CI) when none answers."""
    from wsconform.harness.targets.docker import docker_client
    from wsconform.harness.targets.exceptions import EngineError

    try:
        return docker_client()
    except EngineError as exc:
        if os.environ.get("WSCONFORM_REQUIRE_DOCKER") == "1":
            pytest.fail(f"WSCONFORM_REQUIRE_DOCKER=1 but {exc}")
        pytest.skip(f"{exc}: run `make docker-engine` (as root on Debian) to set one up")


def _libraries(binaries: list[pathlib.Path]) -> set[pathlib.Path]:
    found: set[pathlib.Path] = set()
    for binary in binaries:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
        for match in re.finditer(r"(/\S+\.so[^\s]*)", out.stdout):
            found.add(pathlib.Path(match.group(1)))
    return found


def _stdlib_files() -> list[pathlib.Path]:
    files = []
    for path in STDLIB.rglob("*"):
        parts = set(path.relative_to(STDLIB).parts)
        if parts & _SKIPPED_DIRS or not path.is_file():
            continue
        files.append(path)
    return sorted(files)


def _source_files() -> list[pathlib.Path]:
    return sorted(p for p in (ROOT / "reference").rglob("*.py") if "__pycache__" not in p.parts)


def reference_image(client: Any) -> str:
    """The tag of an image whose command serves the reference server on port 9001."""
    if not PYTHON.exists():
        pytest.fail(f"{PYTHON} is needed to build the test image (Debian's python3.11)")
    stdlib = _stdlib_files()
    sources = _source_files()
    extensions = [p for p in stdlib if p.suffix == ".so"]
    libraries = sorted(_libraries([PYTHON, *extensions]))
    digest = hashlib.sha256(_ENTRY.encode())
    for path in [*libraries, *sources]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    tag = f"wsconform-test-reference:{digest.hexdigest()[:12]}"
    if client.images.list(name=tag):
        return tag
    with tempfile.TemporaryDirectory() as tmp:
        archive = pathlib.Path(tmp) / "rootfs.tar"
        with tarfile.open(archive, "w") as tar:
            seen: set[str] = set()
            for path in [PYTHON, *libraries, *stdlib]:
                # The real file, and the name ldd showed (often a symbolic link to it).
                for name in {str(path.resolve()), str(path)}:
                    if name not in seen:
                        seen.add(name)
                        tar.add(str(path.resolve()), arcname=name.lstrip("/"))
            for path in sources:
                name = "app/wsconform/" + str(path.relative_to(ROOT))
                tar.add(str(path), arcname=name)
            for name, text in (("app/wsconform/__init__.py", _PACKAGE_INIT),
                               ("app/serve.py", _ENTRY)):  # fmt: skip
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        command = (
            '["/usr/bin/python3.11", "/app/serve.py", "reference-server", '
            f'"--host", "0.0.0.0", "--port", "{IMAGE_PORT}"]'
        )
        repository, _, version = tag.partition(":")
        client.api.import_image_from_file(
            str(archive),
            repository=repository,
            tag=version,
            changes=[
                f"CMD {command}",
                "ENV PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1",
                f"EXPOSE {IMAGE_PORT}",
            ],
        )
    return tag


def leftover_containers(client: Any, name: str) -> list[str]:
    """Names of containers (running or not) whose name holds ``name``."""
    return [c.name for c in client.containers.list(all=True, filters={"name": name})]


if __name__ == "__main__":  # pragma: no cover - `python -m tests.docker_engine`
    print(reference_image(engine()), file=sys.stdout)
