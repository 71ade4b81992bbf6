"""Shared pytest fixtures."""

import importlib
import os

import pytest

# Module that provides e_step, m_step and GaussianMixture for each
# implementation: the pure-NumPy oracle and the native core's Python layer.
_IMPLEMENTATIONS = {"reference": "emclust.reference", "native": "emclust"}


@pytest.fixture(params=list(_IMPLEMENTATIONS), ids=lambda name: f"impl={name}")
def impl(request):
    """The module implementing the Gaussian mixture under test."""
    return importlib.import_module(_IMPLEMENTATIONS[request.param])


def pytest_configure(config):
    """``-m fuzz`` gives the fuzz suites their long hypothesis profile
    (tests/_fuzz.py); any other run, their short one."""
    import re

    import _fuzz

    expr = config.option.markexpr or ""
    _fuzz.LONG = re.search(r"(?<!not )\bfuzz\b", expr) is not None


def pytest_terminal_summary(terminalreporter):
    """Cases the fuzz suites ran, by target (the table of issue 12)."""
    import _fuzz

    if _fuzz.CASES:
        terminalreporter.section("fuzz cases")
        for target, n in sorted(_fuzz.CASES.items()):
            terminalreporter.write_line(f"{n:7d}  {target}")
        terminalreporter.write_line(f"{sum(_fuzz.CASES.values()):7d}  in all")


def pytest_sessionfinish(session, exitstatus):
    """In CI (CI=true) a skipped test fails the run: everything a test needs
    comes with `pip install ".[test]"`, so a skip there means the set-up has
    a gap that a user would hit too."""
    if os.environ.get("CI", "").lower() not in ("true", "1"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    # scikit-learn's array-API common check skips itself unless SCIPY_ARRAY_API
    # is set before scipy is imported: an opt-in of scikit-learn's, not a gap.
    skipped = [r for r in skipped if "array_api" not in str(r.longrepr).lower()]
    # The old-CPU test needs Debian's qemu-user, which pip cannot bring: .ci/run
    # installs it after the README's commands and runs that file again with
    # EMCLUST_REQUIRE_QEMU=1, where a missing qemu fails instead of skipping.
    if not os.environ.get("EMCLUST_REQUIRE_QEMU"):
        skipped = [
            r for r in skipped if not r.nodeid.startswith("tests/test_old_cpu.py")
        ]
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; in CI every test must run", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
