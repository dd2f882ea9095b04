"""Time and memory bounds for ``triptych build``, so a pathological article ends in an error, not a hang.

The bounds are the configuration's ``triptych_max_build_seconds`` (wall clock,
for the whole run) and ``triptych_max_memory_mb`` (resident memory of the build
and its parallel workers). A watchdog process samples both; when one is
passed it signals the build, which stops with a one-line error. If the build
is busy in native code and does not stop within a grace period, the watchdog
prints the same line and ends the command (published editions are untouched:
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

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from sphinx.config import Config

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
#: How long an interrupted build has to stop by itself.
GRACE_SECONDS = 10.0
#: How often the watchdog looks at the clock and at the resident sizes.
SAMPLE_SECONDS = 0.1


class BuildLimitReached(BaseException):
    """The build passed a limit. Not an ``Exception``: code that catches those must not
    swallow it and go on."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location


def _proportional_bytes(pid: int | str) -> int:
    """A process's proportional set size: its pages, with those it shares divided among sharers.

    The parallel workers and the watchdog are forks of the build, sharing most
    of its pages; counting each one's resident size in full would count those
    pages once per process.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # a kernel without smaps_rollup: resident size, an overestimate
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _resident_size(pid: int | str) -> int:
    """A process's resident size, shared pages counted in full: read in constant time."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _tree(pid: int | str, besides: frozenset[int]) -> list[int | str]:
    """*pid* and its descendants (the parallel workers), except *besides*."""
    return [pid] + [
        process
        for child in _children(pid)
        if child not in besides
        for process in _tree(child, besides)
    ]


def resident_bytes(pid: int | str = "self", *, besides: frozenset[int] = frozenset()) -> int:
    """Memory of a process and of its children (the parallel workers), except *besides*."""
    return sum(_proportional_bytes(process) for process in _tree(pid, besides))


def over_bound(pid: int, bound: float, *, besides: frozenset[int] = frozenset()) -> bool:
    """Whether the memory of *pid* and its children is above *bound* bytes.

    The resident sizes are read first: they are never below the proportional ones, and
    reading them costs nothing, where the proportional size walks every page table of
    the process (tens of milliseconds for a large layout, several times a second).
    """
    processes = _tree(pid, besides)
    if sum(_resident_size(process) for process in processes) <= bound:
        return False
    return sum(_proportional_bytes(process) for process in processes) > bound


REASONS = {
    signal.SIGUSR1: "the build took longer than {seconds:g} s (triptych_max_build_seconds)",
    signal.SIGUSR2: "ran out of memory: the build may use {megabytes:g} MB (triptych_max_memory_mb)",
}


class Watchdog:
    """A separate process that watches the build's time and memory.

    A thread could not: a build busy in native code (a huge number, a long
    layout) holds the interpreter lock. The watchdog signals the build, which
    stops with an error; if it has not stopped after a grace period and may be
    ended (the ``triptych`` command, not a caller in Python), the watchdog prints
    the error and ends it.
    """

    def __init__(self, config: Config, started: float, fallback: str, hard_exit: bool) -> None:
        self.seconds = float(config.triptych_max_build_seconds)
        self.megabytes = float(config.triptych_max_memory_mb)
        self.deadline = started + self.seconds
        self.fallback = fallback
        self.hard_exit = hard_exit
        self.reason = ""
        self.pid = 0

    def message(self, signum: int) -> str:
        return REASONS[signal.Signals(signum)].format(
            seconds=self.seconds, megabytes=self.megabytes
        )

    def start(self) -> None:
        build = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                self._watch(build)
            finally:
                os._exit(0)
        self.pid = pid

    def stop(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0

    def _watch(self, build: int) -> None:
        myself = frozenset({os.getpid()})  # the watchdog is a child of the build too
        while os.getppid() == build:
            time.sleep(SAMPLE_SECONDS)
            if time.monotonic() > self.deadline:
                signum = signal.SIGUSR1
            elif over_bound(build, self.megabytes * MIB, besides=myself):
                signum = signal.SIGUSR2
            else:
                continue
            os.kill(build, signum)
            time.sleep(GRACE_SECONDS)
            if os.getppid() == build and self.hard_exit:
                sys.stderr.write(f"{self.fallback}: error: {self.message(signum)}\n")
                sys.stderr.flush()
                for worker in _children(build):
                    if worker not in myself:
                        os.kill(worker, signal.SIGKILL)
                os.kill(build, signal.SIGKILL)
            return


def _children(pid: int | str) -> list[int]:
    try:
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except (OSError, ValueError):
        return []


@contextmanager
def bounded(
    config: Config,
    started: float,
    where: Callable[[], str],
    *,
    fallback: str = "",
    hard_exit: bool = False,
) -> Iterator[Watchdog]:
    """Apply the configured bounds; *started* is when the run began (``time.monotonic``)."""
    watchdog = Watchdog(config, started, fallback or where(), hard_exit)

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        watchdog.reason = watchdog.message(signum)
        raise BuildLimitReached(watchdog.reason, location=where())

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = (
        {signum: signal.signal(signum, interrupt) for signum in REASONS} if in_main_thread else {}
    )
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    # One enormous allocation fails at once instead of swapping the machine.
    backstop = int((config.triptych_max_memory_mb + 1024) * MIB)
    if hard != resource.RLIM_INFINITY:
        backstop = min(backstop, hard)
    resource.setrlimit(resource.RLIMIT_AS, (backstop, hard))
    if in_main_thread:
        watchdog.start()
    try:
        yield watchdog
    finally:
        watchdog.stop()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def limit_reached(error: BaseException, config: Config | None) -> str | None:
    """A one-line explanation when *error* (or what it wraps) is a resource limit."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BuildLimitReached):
            return str(seen)
        if isinstance(seen, MemoryError) or (
            isinstance(seen, SphinxParallelError) and str(seen).startswith("MemoryError")
        ):
            megabytes = f"{config.triptych_max_memory_mb:g} MB" if config else "the memory limit"
            return f"ran out of memory: the build may use {megabytes} (triptych_max_memory_mb)"
        if isinstance(seen, RecursionError) or (
            isinstance(seen, SphinxParallelError) and str(seen).startswith("RecursionError")
        ):
            return "nested too deeply to read (markup nested past the limit, or a toctree that lists itself)"
        seen = getattr(seen, "orig_exc", None) or seen.__cause__ or seen.__context__
    return None
