"""Glossary checks, each a typed warning with the file and line it concerns.

They run once, in the main process, after every document has been read and
merged, so a parallel build finds exactly what a serial one does.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from sphinx.util import logging

from triptych.diagnostics import Subtype, warn
from triptych.glossary.domain import glossary_domain

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.application import Sphinx
    from sphinx.domains import Domain
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)


def _undefined_term(app: Sphinx, domain: Domain | None, node: pending_xref) -> bool | None:
    if domain is None or domain.name != "std" or node.get("reftype") != "term":
        return None
    target = str(node["reftarget"])
    spellings = {
        term.lower(): term
        for entry in glossary_domain(app.env).all_entries()
        for term in entry.terms
    }
    close = difflib.get_close_matches(target.lower(), spellings, n=1, cutoff=0.75)
    hint = f" (did you mean {spellings[close[0]]!r}?)" if close else ""
    warn(logger, Subtype.TERM_UNDEFINED, "term not in glossary: %r%s", target, hint, location=node)
    return True


def _check_entries(app: Sphinx, env: BuildEnvironment) -> None:
    domain = glossary_domain(env)
    first_definition: dict[str, tuple[str, int | None]] = {}
    for entry in domain.all_entries():
        location = (entry.docname, entry.lineno)
        for term in entry.terms:
            other = first_definition.setdefault(term.lower(), location)
            if other is not location:
                path = env.doc2path(other[0])
                where = f"{path}:{other[1]}" if other[1] else str(path)
                warn(
                    logger, Subtype.TERM_DUPLICATE,
                    "glossary term %r is defined twice (also at %s)", term, where,
                    location=location,
                )  # fmt: skip
    used = {use.entry for uses in domain.usages_by_doc.values() for use in uses}
    for entry in domain.all_entries():
        if entry.key not in used:
            warn(
                logger, Subtype.TERM_UNUSED, "glossary term %r is never used", entry.terms[0],
                location=(entry.docname, entry.lineno),
            )  # fmt: skip


def setup(app: Sphinx) -> None:
    app.connect("warn-missing-reference", _undefined_term)
    app.connect("env-check-consistency", _check_entries)
