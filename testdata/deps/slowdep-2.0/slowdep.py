"""slowdep 2.0: work() sleeps 15 ms (1.0: 10 ms, 2.0: 15 ms)."""

import time

__version__ = "2.0"

DELAY_S = 0.015


def work():
    """Stands in for a library call that got slower in 2.0; returns the version."""
    time.sleep(DELAY_S)
    return __version__
