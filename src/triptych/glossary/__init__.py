"""One glossary for every edition: entries, usages, links, expansions, back-references, lints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triptych.glossary import directive, lints
from triptych.glossary.domain import GlossaryDomain, record_usages
from triptych.glossary.transforms import MarkTermEntries, TermOccurrences, TermPreviews

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    directive.setup(app)
    app.add_domain(GlossaryDomain)
    app.add_post_transform(TermOccurrences)
    app.add_post_transform(MarkTermEntries)
    app.add_post_transform(TermPreviews)
    app.connect("env-updated", record_usages)
    lints.setup(app)
