"""The run record sits below the wire client and the reports: imports go one way."""

from __future__ import annotations

import ast
import pathlib

import pytest

HARNESS = pathlib.Path(__file__).parents[3] / "harness"


def _imports(path: pathlib.Path) -> set[str]:
    """The absolute module names a file imports (relative ones resolved in the harness)."""
    package = "wsconform.harness." + ".".join(path.relative_to(HARNESS).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rstrip(".").split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                found.add(".".join([*base, node.module or ""]).rstrip("."))
            else:
                found.add(node.module or "")
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        (
            "record",
            ("wsconform.harness.report", "wsconform.harness.wire", "wsconform.harness.runner"),
        ),
        ("wire", ("wsconform.harness.report", "wsconform.harness.runner")),
    ],
)
def test_lower_layers_never_import_higher_ones(folder: str, forbidden: tuple[str, ...]) -> None:
    for path in sorted((HARNESS / folder).glob("*.py")):
        bad = sorted(m for m in _imports(path) if m.startswith(forbidden))
        assert not bad, f"{path.name} imports {bad}"


def test_the_verdict_rules_read_the_record_not_the_reports() -> None:
    assert not [m for m in _imports(HARNESS / "verdicts.py") if "harness.report" in m]
