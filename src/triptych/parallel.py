"""Reading in parallel only when every domain can merge what the reading processes found.

Under ``-j`` Sphinx reads the documents in several processes and merges each
domain's data back with ``Domain.merge_domaindata``. An extension may declare
itself safe for parallel reading and still register a domain that does not
implement it (sphinx-proof 0.4 does): the merge then raises, and Sphinx's
process pool, cleaning up, ends the build with ``KeyError: 0`` and no word of
the extension. Such an extension is marked unsafe before the read, so Sphinx
reads in one process and says which extension made it do so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.domains import Domain

if TYPE_CHECKING:
    from collections.abc import Iterator

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


def setup(app: Sphinx) -> None:
    # builder-inited: every extension, the project's and the theme's, is loaded by then.
    app.connect("builder-inited", read_serially_without_merge)
