"""What the fuzz suites (tests/test_fuzz_*.py) share: hypothesis settings for
the default run and for ``-m fuzz``, a watchdog against hangs, and the rule
every case is held to.

The default run gives each property a few dozen examples, derandomized, so
that ``python -m pytest`` stays quick and reproducible; ``-m fuzz`` selects
only these suites and gives each property many more random examples
(conftest.py sets LONG from the marker expression). Examples are not stored
(no .hypothesis directory is written into the checkout).
"""

from __future__ import annotations

import contextlib
import faulthandler
import re
import sys

from hypothesis import HealthCheck, settings

# Set by conftest.pytest_configure: True when the run selects -m fuzz.
LONG = False

# Cases run per property, counted as hypothesis calls the test body (the
# closing note's table sums them; see test_fuzz_*.py and conftest.py).
CASES: dict[str, int] = {}


def fuzz_settings(default, long=None):
    """hypothesis settings: ``default`` examples normally, ``long`` (5x by
    default) under ``-m fuzz``. No deadline: a busy CI machine is slow, and
    hangs are the watchdog's to catch."""
    if LONG:
        return settings(
            max_examples=long or 5 * default,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    return settings(
        max_examples=default,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def count(target):
    CASES[target] = CASES.get(target, 0) + 1


@contextlib.contextmanager
def no_hang(seconds=120):
    """A case that runs longer than ``seconds`` is a hang: the watchdog
    prints every thread's stack and ends the test process (pytest cannot
    interrupt a call into the core that holds no GIL)."""
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


# Words that name an argument or a setting a user can change, in the
# messages of a refused input.
ARGUMENT = re.compile(
    r"\bX\b|sample_weight|n_components|n_clusters|reg_covar|covariance|weights"
    r"|means|precisions|probabilities|centers|init|shift|resp|n_threads|tol"
    r"|max_iter|n_init|alpha|missing_values|dtype|n_samples|features|scale"
)


def assert_clean_refusal(exc):
    """A refused input is a ValueError or TypeError on one line that names
    what to change."""
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    message = str(exc)
    assert message, repr(exc)
    assert ARGUMENT.search(message), f"no argument named in: {message}"
    assert "incompatible function arguments" not in message, message
