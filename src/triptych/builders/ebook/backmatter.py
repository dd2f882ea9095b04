"""The EPUB's index document, with the semantics of EPUB Indexes.

Locators are links to the sections that hold the indexed text, named by
their article and section ("Motives: The war in Ukraine"), one per section,
in reading order; reading systems that know ``epub:type="index"`` can offer
the index as such.
"""

from __future__ import annotations

from html import escape
from itertools import groupby
from typing import TYPE_CHECKING

from triptych.apparatus.index import INDEX_TITLE
from triptych.documents import title_of

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

    from triptych.apparatus.index import IndexEntry, IndexGroup, Locator

INDEX_FILE = "genindex.xhtml"


def _locator(locator: Locator, text: str, suffix: str) -> str:
    label = f"<strong>{escape(text)}</strong>" if locator.main else escape(text)
    href = f"{locator.docname}{suffix}#{locator.anchor}"
    return f'<a epub:type="index-locator" href="{escape(href)}">{label}</a>'


def _locators(env: BuildEnvironment, locators: tuple[Locator, ...], suffix: str) -> str:
    """One link per section, grouped by article: "Article: a, b; Other article"."""
    groups = []
    for docname, in_doc in groupby(locators, key=lambda locator: locator.docname):
        article = title_of(env, docname)
        by_section: dict[tuple[int, int], Locator] = {}
        for locator in in_doc:
            kept = by_section.get(locator.order)
            if kept is None or (locator.main and not kept.main):
                by_section[locator.order] = locator
        first = next(iter(by_section.values()))
        top = by_section.pop(first.order) if first.section_title == article else None
        links = [
            _locator(locator, locator.section_title, suffix) for locator in by_section.values()
        ]
        # The article itself is named once: as the link to its top, or as plain text.
        head = _locator(top, article, suffix) if top is not None else escape(article)
        groups.append(f"{head}: {', '.join(links)}" if links else head)
    return "; ".join(groups)


def _see(reference: str) -> str:
    """A cross-reference as Sphinx writes it ("see X", "see also Y"), with its term marked."""
    if reference.startswith("see also "):
        kind, lead, term = "index-xref-related", "see also", reference.removeprefix("see also ")
    else:
        kind, lead, term = "index-xref-preferred", "see", reference.removeprefix("see ")
    return (
        f'<span epub:type="{kind}"><em>{lead}</em> '
        f'<span epub:type="index-term">{escape(term)}</span></span>'
    )


def _entry(env: BuildEnvironment, entry: IndexEntry, suffix: str) -> str:
    parts = [
        f'<li epub:type="index-entry"><span epub:type="index-term">{escape(entry.term)}</span>'
    ]
    if entry.locators:
        parts.append(" " + _locators(env, entry.locators, suffix))
    parts.extend(", " + _see(reference) for reference in entry.see)
    if entry.subentries:
        parts.append('<ul epub:type="index-entry-list">')
        parts.extend(_entry(env, sub, suffix) for sub in entry.subentries)
        parts.append("</ul>")
    parts.append("</li>")
    return "".join(parts)


def index_document(env: BuildEnvironment, groups: list[IndexGroup], suffix: str) -> str:
    """The body of the index document."""
    # On a section rather than the body, where DAISY Ace finds no ARIA role to match it; the
    # package declares no index collection, which would ask for the body.
    parts = [
        f'<section epub:type="index" role="doc-index" class="triptych-index"><h1>{INDEX_TITLE}</h1>'
    ]
    for group in groups:
        parts.append(
            f'<section epub:type="index-group" class="triptych-index-group">'
            f'<h2>{escape(group.letter)}</h2><ul epub:type="index-entry-list">'
        )
        parts.extend(_entry(env, entry, suffix) for entry in group.entries)
        parts.append("</ul></section>")
    parts.append("</section>")
    return "".join(parts)
