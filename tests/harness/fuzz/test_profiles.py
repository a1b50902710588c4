"""The Hypothesis profiles and the environment variable that chooses one."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import settings

from wsconform.harness.fuzz import profiles


def test_the_three_profiles_are_registered() -> None:
    assert set(profiles.PROFILES) == {"dev", "ci", "nightly"}
    for name in profiles.PROFILES:
        assert settings.get_profile(name).deadline is None
    ci, nightly = settings.get_profile("ci"), settings.get_profile("nightly")
    assert ci.derandomize and not nightly.derandomize
    assert nightly.max_examples > 10 * ci.max_examples
    assert nightly.stateful_step_count > ci.stateful_step_count


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({}, "dev"),
        ({"HYPOTHESIS_PROFILE": "ci"}, "ci"),
        ({"WSCONFORM_HYPOTHESIS_PROFILE": "nightly", "HYPOTHESIS_PROFILE": "ci"}, "nightly"),
        ({"WSCONFORM_HYPOTHESIS_PROFILE": ""}, "dev"),
    ],
)
def test_the_environment_chooses(environ: dict[str, str], name: str) -> None:
    assert profiles.profile_name(environ) == name


def test_an_unknown_profile_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match=r"WSCONFORM_HYPOTHESIS_PROFILE='weekly' names no"):
        profiles.profile_name({"WSCONFORM_HYPOTHESIS_PROFILE": "weekly"})


def test_load_loads_it() -> None:
    before = settings._current_profile
    assert before is not None
    try:
        assert profiles.load({"WSCONFORM_HYPOTHESIS_PROFILE": "nightly"}) == "nightly"
        assert settings.get_current_profile_name() == "nightly"
    finally:
        settings.load_profile(before)


def test_a_ci_variable_does_not_derandomize_nightly() -> None:
    # Hypothesis loads its own derandomized ``ci`` profile when CI is set; a fresh
    # interpreter with CI=true must still get random nightly and dev runs.
    code = (
        "from hypothesis import settings\n"
        "from wsconform.harness.fuzz import profiles\n"
        "print(settings.get_profile('nightly').derandomize,"
        " settings.get_profile('dev').derandomize,"
        " settings.get_profile('ci').derandomize)\n"
    )
    env = {"CI": "true", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "True"]
