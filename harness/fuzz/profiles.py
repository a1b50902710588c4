"""Hypothesis profiles of wsconform's fuzzing: ``dev``, ``ci`` and ``nightly``.

One place registers them (our test suite's ``conftest.py`` and the pytest plugin load
this module); the environment variable :data:`ENV_VAR`
(``WSCONFORM_HYPOTHESIS_PROFILE``) chooses one:

* ``dev`` (the default): 100 examples per test, random seeds, for a developer's run.
* ``ci``: 200 examples, derandomized (the same examples on every run, so a red CI job
  is red again when re-run) and no ``too_slow`` health check on a loaded machine;
  ``make test`` uses it.
* ``nightly``: 10 000 examples and 100 steps per stateful run, random seeds, for
  ``make fuzz`` (long runs that look further than CI).

No profile has a deadline: on a shared CI machine the time of one example says nothing
about the code under test. ``HYPOTHESIS_PROFILE`` is read when :data:`ENV_VAR` is
unset, the name older setups of this project use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hypothesis import HealthCheck, settings

__all__ = ["DEFAULT", "ENV_VAR", "LEGACY_ENV_VAR", "PROFILES", "load", "profile_name"]

#: The environment variable that names the profile.
ENV_VAR = "WSCONFORM_HYPOTHESIS_PROFILE"
#: Read when :data:`ENV_VAR` is unset.
LEGACY_ENV_VAR = "HYPOTHESIS_PROFILE"
#: The profile used when neither variable is set.
DEFAULT = "dev"

#: What every profile builds on: Hypothesis's own defaults. Not the profile loaded at the
#: time of import: Hypothesis loads its built-in ``ci`` profile (derandomized) when it
#: sees a ``CI`` variable, and ``nightly`` must stay random there too.
_BASE = settings.get_profile("default")

#: The settings of each profile.
PROFILES: Mapping[str, settings] = {
    "dev": settings(_BASE, max_examples=100, deadline=None),
    "ci": settings(
        _BASE,
        max_examples=200,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    ),
    "nightly": settings(
        _BASE,
        max_examples=10_000,
        stateful_step_count=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    ),
}

for _name, _settings in PROFILES.items():
    settings.register_profile(_name, _settings)


def profile_name(environ: Mapping[str, str] | None = None) -> str:
    """The profile the environment asks for (:data:`ENV_VAR`, then the legacy name).

    Raises:
        ValueError: the variable names no profile of :data:`PROFILES`.
    """
    env = os.environ if environ is None else environ
    name = env.get(ENV_VAR) or env.get(LEGACY_ENV_VAR) or DEFAULT
    if name not in PROFILES:
        names = ", ".join(PROFILES)
        raise ValueError(f"{ENV_VAR}={name!r} names no Hypothesis profile (one of {names})")
    return name


def load(environ: Mapping[str, str] | None = None) -> str:
    """Load the profile the environment asks for; return its name.

    Raises:
        ValueError: see :func:`profile_name`.
    """
    name = profile_name(environ)
    settings.load_profile(name)
    return name
