"""Reading and writing in parallel only when it is safe, and failing when a process fails.

Under ``-j`` Sphinx reads the documents in several processes and merges each
domain's data back with ``Domain.merge_domaindata``. An extension may declare
itself safe for parallel reading and still register a domain that does not
implement it (sphinx-proof 0.4 does): the merge then raises, and Sphinx's
process pool, cleaning up, ends the build with ``KeyError: 0`` and no word of
the extension. Such an extension is marked unsafe before the read, so Sphinx
reads in one process and says which extension made it do so.

Sphinx's ``ParallelTasks.add_task`` also catches what joining a finished process
raises, to stop the others, and goes on adding: a process that failed while
tasks were still being added (an extension's visitor raising on one page of a
large site) leaves its pages, and those of the processes it stopped, unwritten,
and the build succeeds. :class:`FailingParallelTasks` raises that error, and
the builders use it.

A process sends its parent the text of its error only, not the error: the
parent could not tell the file and line it happened at, nor the extension that
raised it, as it does in one process. So each task tells them itself, in the
process that failed (:class:`TaskError`), and the parent raises them again
(:class:`LocatedTaskError`).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import sphinx.builders
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.errors import SphinxError, SphinxParallelError
from sphinx.util.parallel import ParallelTasks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sphinx.extension import Extension


def domains_without_merge(app: Sphinx) -> Iterator[type[Domain]]:
    """The registered domains that keep ``Domain``'s ``merge_domaindata``, which only raises."""
    for domain_class in app.registry.domains.values():
        if domain_class.merge_domaindata is Domain.merge_domaindata:
            yield domain_class


def owning_extension(app: Sphinx, domain_class: type[Domain]) -> Extension | None:
    """The loaded extension whose package defines *domain_class* (the innermost, if nested)."""
    module = domain_class.__module__
    owners = [
        extension
        for extension in app.extensions.values()
        if module == extension.name or module.startswith(f"{extension.name}.")
    ]
    return max(owners, key=lambda extension: len(extension.name), default=None)


def read_serially_without_merge(app: Sphinx) -> None:
    for domain_class in domains_without_merge(app):
        extension = owning_extension(app, domain_class)
        if extension is not None:
            extension.parallel_read_safe = False


class TaskError(Exception):
    """An unexpected error of a task, as its process tells it: where, and what (one line)."""

    def __init__(self, location: str, description: str) -> None:
        super().__init__(location, description)
        self.location = location
        self.description = description

    def __str__(self) -> str:
        return json.dumps([self.location, self.description])


#: How Sphinx's parent process receives a :class:`TaskError`: its class, then its text.
TASK_ERROR = f"{TaskError.__module__}.{TaskError.__qualname__}: "


class LocatedTaskError(Exception):
    """A task's unexpected error, raised again in the parent with where it happened."""

    def __init__(self, location: str, description: str) -> None:
        super().__init__(description)
        self.location = location
        self.description = description


def _application_of(error: BaseException) -> Sphinx | None:
    """The application whose build raised *error*, from the frames it went through."""
    import traceback

    for frame, _line in traceback.walk_tb(error.__traceback__):
        for name in ("app", "self", "builder"):
            value = frame.f_locals.get(name)
            value = getattr(value, "_app", value)
            if isinstance(value, Sphinx):
                return value
    return None


def reporting_failures(task: Callable[..., Any]) -> Callable[..., Any]:
    """*task*, raising its unexpected errors as :class:`TaskError`, located in its process."""

    def run(*arg: Any) -> Any:
        try:
            return task(*arg)
        except SphinxError:
            raise
        except Exception as error:
            from triptych.run import crash_site, describe

            try:
                place, extension = crash_site(error, _application_of(error))
            except Exception:  # noqa: BLE001 - the error is reported, whatever its frames hold
                place = extension = ""
            raise TaskError(place, describe(error, extension)) from error

    return run


class FailingParallelTasks(ParallelTasks):
    """Sphinx's ``ParallelTasks``, but a process that fails fails the caller, whenever it is
    found to have failed, with where it failed."""

    def __init__(self, nproc: int) -> None:
        super().__init__(nproc)
        self.failure: Exception | None = None

    def _join_one(self) -> bool:
        try:
            return super()._join_one()
        except SphinxParallelError as error:
            failure: Exception = error
            if error.message.startswith(TASK_ERROR):
                location, description = json.loads(error.message.removeprefix(TASK_ERROR))
                failure = LocatedTaskError(str(location), str(description))
            self.failure = self.failure or failure
            raise failure from None
        except Exception as error:
            self.failure = self.failure or error
            raise

    def wait_until(self, ready: Callable[[], bool]) -> None:
        """Return once a process is free and *ready()* holds (the results it waits for came
        in): a task added then starts at once, from what those results gave."""
        while self._pworking >= self.nproc or not ready():
            if not self._join_one():
                time.sleep(0.02)
            if self.failure is not None:
                raise self.failure
            if not self._pworking and not ready():
                raise RuntimeError("waiting for results no running task will give")

    def add_task(
        self,
        task_func: Callable[[Any], Any] | Callable[[], Any],
        arg: Any = None,
        result_func: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        super().add_task(reporting_failures(task_func), arg, result_func)
        if self.failure is not None:
            raise self.failure


def fail_with_failed_processes() -> None:
    """Sphinx's builders read and write in :class:`FailingParallelTasks`."""
    builders: Any = sphinx.builders  # which imports the class it uses
    if builders.ParallelTasks is ParallelTasks:
        builders.ParallelTasks = FailingParallelTasks


def setup(app: Sphinx) -> None:
    fail_with_failed_processes()
    # builder-inited: every extension, the project's and the theme's, is loaded by then.
    app.connect("builder-inited", read_serially_without_merge)
