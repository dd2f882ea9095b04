"""Time and memory bounds for ``quire build``, so a pathological article ends in an error, not a hang.

The bounds are the configuration's ``quire_max_build_seconds`` (wall clock,
for the whole run) and ``quire_max_memory_mb`` (resident memory of the build
and its parallel workers). A watchdog thread samples both; when one is passed
it interrupts the build, which stops with a one-line error. If the build is
stuck in native code and does not stop within a grace period, the command
prints the same line and exits at once (published editions are untouched:
they are only ever replaced by a rename). The address space is also capped,
well above the memory bound, so one enormous allocation fails at once.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.errors import SphinxParallelError

from quire.diagnostics import QuireError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from sphinx.config import Config

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
#: How long an interrupted build has to stop by itself.
GRACE_SECONDS = 10.0


class BuildLimitError(QuireError):
    category = "limit reached"


def resident_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process and of its children (the parallel workers)."""
    try:
        total = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += resident_bytes(child)
    except (OSError, ValueError, IndexError):
        return 0
    return total


class Watchdog:
    def __init__(self, config: Config, started: float, where: Callable[[], str], hard_exit: bool):
        self.seconds = float(config.quire_max_build_seconds)
        self.megabytes = float(config.quire_max_memory_mb)
        self.deadline = started + self.seconds
        self.where = where
        self.hard_exit = hard_exit
        self.reason = ""
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="quire-watchdog", daemon=True)

    def _passed(self) -> str:
        if time.monotonic() > self.deadline:
            return f"the build took longer than {self.seconds:g} s (quire_max_build_seconds)"
        if resident_bytes() > self.megabytes * MIB:
            return (
                f"ran out of memory: the build may use {self.megabytes:g} MB (quire_max_memory_mb)"
            )
        return ""

    def _watch(self) -> None:
        while not self.done.wait(0.05):
            if reason := self._passed():
                self.reason = reason
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)
                if not self.done.wait(GRACE_SECONDS) and self.hard_exit:
                    sys.stderr.write(f"{self.where()}: error: {reason}\n")
                    sys.stderr.flush()
                    os._exit(2)
                return

    def interrupt(self, _signum: int, _frame: FrameType | None) -> None:
        raise BuildLimitError(self.reason, location=self.where())


@contextmanager
def bounded(
    config: Config, started: float, where: Callable[[], str], *, hard_exit: bool = False
) -> Iterator[None]:
    """Apply the configured bounds; *started* is when the run began (``time.monotonic``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    watchdog = Watchdog(config, started, where, hard_exit)
    previous_handler = signal.signal(signal.SIGUSR1, watchdog.interrupt)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    backstop = int((2 * config.quire_max_memory_mb + 1024) * MIB)
    if hard != resource.RLIM_INFINITY:
        backstop = min(backstop, hard)
    resource.setrlimit(resource.RLIMIT_AS, (backstop, hard))
    watchdog.thread.start()
    try:
        yield
    finally:
        watchdog.done.set()
        watchdog.thread.join()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGUSR1, previous_handler)


def limit_reached(error: BaseException, config: Config | None) -> str | None:
    """A one-line explanation when *error* (or what it wraps) is a resource limit."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BuildLimitError):
            return str(seen)
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
