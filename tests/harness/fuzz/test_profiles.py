"""The Hypothesis profiles and the environment variable that chooses one."""

from __future__ import annotations

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
