"""Print typography decided on the doctree: which words hyphenation must leave whole.

The PDF hyphenates its justified text (``hyphens: auto``), but a proper name
broken across lines ("Massa-chusetts") reads badly, and CSS has no rule for
"words with a capital". So, in print only, every capitalised word long enough
to be hyphenated is wrapped in an inline element that print.css sets to
``hyphens: manual``. Headings, code and math are left alone: print.css keeps
headings whole, and code and formulas are never hyphenated.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

NAME_CLASS = "triptych-name"
#: WeasyPrint hyphenates no word shorter than this (its ``hyphenate-limit-chars``: 5).
SHORTEST_HYPHENATED = 5
WORD = re.compile(r"\w+(?:[-'\u2019]\w+)*")
#: Where no word is hyphenated anyway, or where the text is not prose.
UNTOUCHED = (
    nodes.title,
    nodes.subtitle,
    nodes.rubric,
    nodes.literal,
    nodes.FixedTextElement,
    nodes.math,
    nodes.raw,
    nodes.abbreviation,
    nodes.acronym,
)


def _is_name(word: str) -> bool:
    return len(word) >= SHORTEST_HYPHENATED and word[0].isupper()


def protected(text: str) -> list[nodes.Node] | None:
    """*text* with its capitalised words wrapped, or None when it has none."""
    pieces: list[nodes.Node] = []
    start = 0
    for match in WORD.finditer(text):
        if not _is_name(match.group()):
            continue
        if match.start() > start:
            pieces.append(nodes.Text(text[start : match.start()]))
        pieces.append(nodes.inline(match.group(), match.group(), classes=[NAME_CLASS]))
        start = match.end()
    if not pieces:
        return None
    if start < len(text):
        pieces.append(nodes.Text(text[start:]))
    return pieces


def _untouched(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, UNTOUCHED) or NAME_CLASS in parent.get("classes", ()):
            return True
        parent = parent.parent
    return False


class ProtectNames(SphinxPostTransform):
    """Keep proper names whole in the PDF: capitalised words are never hyphenated."""

    builders = ("pdf",)
    # After the glossary's transforms, which look for terms in the plain text.
    default_priority = 900

    def run(self, **_kwargs: Any) -> None:
        if not self.config.triptych_hyphenate:
            return
        for text in list(self.document.findall(nodes.Text)):
            if _untouched(text) or (pieces := protected(str(text))) is None:
                continue
            parent = text.parent
            index = parent.index(text)
            parent[index : index + 1] = pieces


KEEP_CLASS = "triptych-keep"
#: Admonitions of at most this much text are kept on one page; longer ones may split.
SHORT_ADMONITION_CHARS = 600
#: Listings of at most this many lines are kept on one page.
SHORT_LISTING_LINES = 15


class KeepShortBlocksWhole(SphinxPostTransform):
    """Mark the admonitions and listings short enough to move to the next page whole.

    A long one marked so would leave most of a page empty, so it is left to
    split, its title kept with its first lines by print.css.
    """

    builders = ("pdf",)
    default_priority = 900

    def run(self, **_kwargs: Any) -> None:
        for admonition in self.document.findall(nodes.Element):
            if not isinstance(admonition, nodes.Admonition):
                continue
            if len(admonition.astext()) <= SHORT_ADMONITION_CHARS:
                admonition["classes"].append(KEEP_CLASS)
        for listing in self.document.findall(nodes.literal_block):
            if listing.astext().count("\n") < SHORT_LISTING_LINES:
                wrapper = listing.parent
                captioned = isinstance(wrapper, nodes.container) and wrapper.get("literal_block")
                (wrapper if captioned else listing)["classes"].append(KEEP_CLASS)
