"""What each edition does to the author's words besides printing them where they stand.

``triptych check`` expects every word of every document in every edition, in
the order it was written (:mod:`triptych.checks.text`). Whatever an edition
prints in its own words instead, or adds beside the text without putting it in
the reading flow, is declared here and nowhere else: the audit reads these
declarations, it does not guess. Additions in the flow (an abbreviation's
expansion, "Used in …", "(p. 7)", running heads) need no declaration.
"""

from __future__ import annotations

from dataclasses import dataclass

from triptych.documents import BYLINE

#: The editions, by the names the audit reports them under; ``articles`` are the PDFs of
#: single articles that the site links to.
SITE, PDF, EPUB, ARTICLES = "site", "pdf", "epub", "articles"
#: The builder that makes each edition: its ``builder_<name>`` tag decides ``{only}`` blocks.
BUILDER = {SITE: "html", PDF: "pdf", EPUB: "ebook", ARTICLES: "pdf"}


@dataclass(frozen=True)
class Replaced:
    """Author's text that an edition leaves out because it prints its own version elsewhere.

    Applies only to the root document, and only when it is printed as front
    matter (``triptych_front_matter``); nodes are matched on the doctrees as
    read, before any edition touched them.
    """

    what: str
    where: str
    node: str
    """The docutils node's class name: ``title``, ``paragraph``."""
    classes: frozenset[str] = frozenset()
    """Classes the node must carry, all of them."""
    top_level: bool = False
    """Only the title of the document's own section (its first, a child of the document)."""


#: The PDF and the EPUB open with a title page made from the configuration (title,
#: subtitle, authors, date), which stands in for the root's title and byline
#: (:func:`triptych.documents.prepare_for_book`).
TITLE_PAGE = (
    Replaced("the title", "the title page", "title", top_level=True),
    Replaced("the byline", "the title page", "paragraph", classes=frozenset({BYLINE})),
)

#: The root document has no article PDF, so the article PDFs replace nothing.
REPLACED: dict[str, tuple[Replaced, ...]] = {
    SITE: (),
    PDF: TITLE_PAGE,
    EPUB: TITLE_PAGE,
    ARTICLES: (),
}

#: Classes of elements an edition adds to a page but shows apart from the text, so a
#: reader never reads their text in line: the site's term previews, written once after
#: the article and shown beside a link on hover, focus and tap
#: (:class:`triptych.glossary.transforms.TermPreviews`), and the line numbers of a
#: listing (``:linenos:``), set in a margin of their own.
ASIDES: dict[str, frozenset[str]] = {
    SITE: frozenset({"triptych-term-preview", "linenos"}),
    PDF: frozenset(),
    EPUB: frozenset({"linenos"}),
    ARTICLES: frozenset(),
}

#: Nodes an edition draws instead of printing their text, which becomes the drawing's
#: text alternative (in the tagged PDF's structure tree): print draws formulas as SVG
#: (:mod:`triptych.math`). Docutils node class names.
DRAWN: dict[str, frozenset[str]] = {
    SITE: frozenset(),
    PDF: frozenset({"math", "math_block"}),
    EPUB: frozenset(),
    ARTICLES: frozenset({"math", "math_block"}),
}

#: Nodes an edition may move past the text that follows them, so that their words are
#: looked for anywhere in their document: print moves a figure that would leave a hole
#: after the text that fills it (:mod:`triptych.builders.pdf.floats`), and a footnote to
#: the foot of the page that calls it (:mod:`triptych.builders.pdf.notes`).
MOVABLE: dict[str, frozenset[str]] = {
    SITE: frozenset(),
    PDF: frozenset({"figure", "footnote"}),
    EPUB: frozenset(),
    ARTICLES: frozenset({"figure", "footnote"}),
}

#: Editions that print a footnote's call as its bare label, raised against the word it
#: follows ("CPython¹", :mod:`triptych.builders.pdf.notes`): the text of the page reads
#: the word and the label as one, so the audit reads the call's label where it stands.
#: The site and the EPUB set the label in brackets, apart from the word.
LABELLED_CALLS: frozenset[str] = frozenset({PDF, ARTICLES})
