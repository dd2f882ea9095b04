"""One glossary for every edition: entries, usages, links, expansions, back-references, lints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quire.glossary import directive, lints
from quire.glossary.domain import GlossaryDomain, record_usages
from quire.glossary.transforms import TermOccurrences, TermPreviews

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    directive.setup(app)
    app.add_domain(GlossaryDomain)
    app.add_post_transform(TermOccurrences)
    app.add_post_transform(TermPreviews)
    app.connect("env-updated", record_usages)
    lints.setup(app)
