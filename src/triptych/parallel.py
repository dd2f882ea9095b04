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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sphinx.builders
from sphinx.domains import Domain
from sphinx.util.parallel import ParallelTasks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sphinx.application import Sphinx
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


class FailingParallelTasks(ParallelTasks):
    """Sphinx's ``ParallelTasks``, but a process that fails fails the caller, whenever it is
    found to have failed."""

    def __init__(self, nproc: int) -> None:
        super().__init__(nproc)
        self.failure: Exception | None = None

    def _join_one(self) -> bool:
        try:
            return super()._join_one()
        except Exception as error:
            self.failure = self.failure or error
            raise

    def add_task(
        self,
        task_func: Callable[[Any], Any] | Callable[[], Any],
        arg: Any = None,
        result_func: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        super().add_task(task_func, arg, result_func)
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
