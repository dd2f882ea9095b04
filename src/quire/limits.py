"""Time and memory bounds for ``quire build``, so a pathological article ends in an error, not a hang.

The bounds are the configuration's ``quire_max_build_seconds`` (wall clock,
for the whole run) and ``quire_max_memory_mb`` (address space of the process
and of each parallel worker). They are set around ``Sphinx.build`` and lifted
afterwards, so a process that builds several times (the tests) is not left
constrained.
"""

from __future__ import annotations

import resource
import signal
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sphinx.errors import SphinxParallelError

from quire.diagnostics import QuireError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from sphinx.config import Config

MIB = 1024 * 1024


class BuildLimitError(QuireError):
    category = "limit reached"


@contextmanager
def bounded(config: Config, started: float, where: Callable[[], str]) -> Iterator[None]:
    """Apply the configured bounds; *started* is when the run began (``time.monotonic``)."""
    seconds = float(config.quire_max_build_seconds)
    remaining = max(seconds - (time.monotonic() - started), 0.001)
    in_main_thread = threading.current_thread() is threading.main_thread()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        msg = f"the build took longer than {seconds:g} s (quire_max_build_seconds)"
        raise BuildLimitError(msg, location=where())

    previous_handler = signal.signal(signal.SIGALRM, stop) if in_main_thread else None
    if in_main_thread:
        signal.setitimer(signal.ITIMER_REAL, remaining)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = int(config.quire_max_memory_mb * MIB)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        if in_main_thread:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)


def limit_reached(error: BaseException, config: Config | None) -> str | None:
    """A one-line explanation when *error* (or what it wraps) is a resource limit."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, MemoryError) or (
            isinstance(seen, SphinxParallelError) and str(seen).startswith("MemoryError")
        ):
            megabytes = f"{config.quire_max_memory_mb:g} MB" if config else "the memory limit"
            return f"ran out of memory: the build may use {megabytes} (quire_max_memory_mb)"
        if isinstance(seen, RecursionError) or (
            isinstance(seen, SphinxParallelError) and str(seen).startswith("RecursionError")
        ):
            return "nested too deeply to read"
        seen = getattr(seen, "orig_exc", None) or seen.__cause__ or seen.__context__
    return None
