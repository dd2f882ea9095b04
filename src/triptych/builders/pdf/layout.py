"""WeasyPrint's side of the PDF edition: stylesheets, the confined fetcher, layout, problems.

WeasyPrint logs missing anchors, images it cannot load and refused fetches,
and then finishes "successfully"; :class:`PrintLayout` collects every such
record so the builder can fail on it.
"""

from __future__ import annotations

import logging as stdlib_logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from docutils import nodes

from triptych.builders import asset_path, asset_text
from triptych.builders.pdf.numerals import bundled_figures, every_figure_in_fonts
from triptych.builders.pdf.pagemap import page_map
from triptych.config import build_date

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PAGE_SIZES = {"A4": "A4", "Letter": "letter"}
#: A back-reference to a page its entry already lists: laid out, but not shown.
REPEATED_PAGE_CLASS = "triptych-repeated-page"
#: How a back-reference line begins: for several pages (False), for one (True).
USED_ON_PAGES = {False: "Used on pages ", True: "Used on page "}


class _Collector(stdlib_logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=stdlib_logging.WARNING)
        self.records: list[stdlib_logging.LogRecord] = []

    def emit(self, record: stdlib_logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def weasyprint_problems() -> Iterator[list[stdlib_logging.LogRecord]]:
    """Collect what WeasyPrint logs, which it would otherwise report and then ignore."""
    weasy_logger = stdlib_logging.getLogger("weasyprint")
    collector = _Collector()
    previous_propagate = weasy_logger.propagate
    weasy_logger.addHandler(collector)
    weasy_logger.propagate = False
    try:
        yield collector.records
    finally:
        weasy_logger.removeHandler(collector)
        weasy_logger.propagate = previous_propagate


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_reference_css(template: str) -> str:
    """CSS that prints *template* ("(p. {page})") after each marked reference.

    The page is the link's ``data-page``, written from a layout (see :mod:`.pagemap`).
    """
    before, _, after = template.partition("{page}")
    counter = "attr(data-page)"
    return (
        f"a.triptych-pageref::after {{ content: {css_string(before)} {counter} {css_string(after)}; }}\n"
        f"a.triptych-page-number::after {{ content: {counter}; }}\n"
    )


class PrintLayout:
    """Lays out print HTML with triptych's stylesheet, reading only what the build may read."""

    def __init__(
        self,
        *,
        roots: tuple[Path, ...],
        base_dir: Path,
        extra_css: str,
        paper_size: str,
        chapter_start: str,
        page_reference: str,
        pdf_variant: str,
        allowed_hosts: tuple[str, ...] = (),
    ) -> None:
        from weasyprint import CSS
        from weasyprint.css.counters import CounterStyle
        from weasyprint.text.fonts import FontConfiguration

        from triptych.builders.pdf.pydyf_pages import keep_page_references
        from triptych.safety.fetcher import ConfinedURLFetcher

        # Tagging reads pydyf's page references once per structure element.
        keep_page_references()

        assets = asset_path("fonts").parent
        self.font_config = FontConfiguration()
        # The stylesheet's @counter-style rules (list labels such as "a)") are kept here,
        # and a layout only knows them when it is given the same collection.
        self.counter_style = CounterStyle()
        self.fetcher = ConfinedURLFetcher(roots=(*roots, assets), allowed_hosts=allowed_hosts)
        self.base_url = base_dir.as_uri() + "/"
        page_css = (
            f"@page {{ size: {PAGE_SIZES[paper_size]}; }}\n"
            f".triptych-chapter, .triptych-part {{ break-before: {'right' if chapter_start == 'right' else 'page'}; }}\n"
            # Out of the flow, it leaves no page behind; its anchors stay, on the next page.
            ".triptych-empty-front-matter { position: absolute; }\n"
            + page_reference_css(page_reference)
        )
        stylesheet = asset_text("print.css") + extra_css + page_css
        #: Everything besides the HTML and its images that a layout depends on.
        self.settings = f"{stylesheet}\0{pdf_variant}\0{sorted(allowed_hosts)}"
        self.stylesheet = CSS(
            string=stylesheet,
            base_url=assets.as_uri() + "/",
            url_fetcher=self.fetcher,
            font_config=self.font_config,
            counter_style=self.counter_style,
        )
        self.pdf_variant = pdf_variant or None
        #: The bundled fonts' figures, so that each PDF holds all ten (see numerals.py).
        self.figures = bundled_figures(assets / "fonts")
        self.problems: list[stdlib_logging.LogRecord] = []
        #: Rules that keep footnotes on the page of their call (see keep_footnotes_with_calls).
        self.keep_rules: list[str] = []

    def render(self, html: str) -> Any:
        from weasyprint import CSS, HTML

        stylesheets = [self.stylesheet]
        if self.keep_rules:
            stylesheets.append(CSS(string="\n".join(self.keep_rules), font_config=self.font_config))
        with weasyprint_problems() as problems:
            document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                stylesheets=stylesheets,
                font_config=self.font_config,
                counter_style=self.counter_style,
                pdf_variant=self.pdf_variant,
            )
        self.problems.extend(problems)
        return document

    def keep_footnotes_with_calls(self, document: Any, pairs: list[tuple[str, str]]) -> bool:
        """Add rules for the footnotes *document* laid out away from their calls.

        Returns whether any was added, so that the document is laid out again.
        """
        rules = [
            rule
            for rule in keep_with_call_rules(document, separated_footnotes(document, pairs))
            if rule not in self.keep_rules
        ]
        self.keep_rules.extend(rules)
        return bool(rules)

    def write(self, document: Any) -> bytes:
        # Dated here, not in the print HTML: the HTML is the layout's cache key, and a
        # date in it would make every build lay the book out again.
        created = build_date().isoformat().replace("+00:00", "Z")
        document.metadata.created = document.metadata.modified = created
        with weasyprint_problems() as problems, every_figure_in_fonts(self.figures):
            pdf = document.write_pdf(pdf_variant=self.pdf_variant)
        self.problems.extend(problems)
        return bytes(pdf)


def drop_repeated_pages(chapters: list[nodes.container], pages: dict[str, int]) -> bool:
    """Hide back-references whose page repeats an earlier one of the same entry ("4, 4, 7").

    Recomputed from scratch for *pages*, which may be a guess: a back-reference hidden for a
    page it is no longer on is shown again. Returns whether anything changed.
    """
    changed = False
    for chapter in chapters:
        for paragraph in chapter.findall(nodes.paragraph):
            if "triptych-backrefs" not in paragraph["classes"]:
                continue
            seen: set[int] = set()
            for item in paragraph.findall(nodes.inline):
                if "triptych-backref" not in item["classes"]:
                    continue
                reference = next(item.findall(nodes.reference), None)
                target = str(reference.get("refuri", "")).removeprefix("#") if reference else ""
                page = pages.get(target)
                repeated = page is not None and page in seen
                if repeated != (REPEATED_PAGE_CLASS in item["classes"]):
                    if repeated:
                        item["classes"].append(REPEATED_PAGE_CLASS)
                    else:
                        item["classes"].remove(REPEATED_PAGE_CLASS)
                    changed = True
                if page is not None:
                    seen.add(page)
            lead = paragraph.children[0] if paragraph.children else None
            if seen and isinstance(lead, nodes.Text) and lead.astext() in USED_ON_PAGES.values():
                wording = USED_ON_PAGES[len(seen) == 1]
                if lead.astext() != wording:
                    paragraph.replace(lead, nodes.Text(wording))
                    changed = True
    return changed


# --- Footnotes kept on the page of their call ---------------------------------------------
#
# When a page runs out of room, WeasyPrint may move footnotes already placed on it to the
# next page, to fit one more line of text there; the call then stands a page before its note.
# Each such page is found after layout, and the block whose line took the note's place is
# kept whole (one more orphan line than it had there), so the note stays with its call.


def separated_footnotes(document: Any, pairs: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(page of the call, note id) for each footnote laid out on another page than its call."""
    pages = page_map(document)
    return [
        (pages[call], note)
        for call, note in pairs
        if call in pages and note in pages and pages[call] != pages[note]
    ]


def _last_line(box: Any, above: tuple[Any, ...] = ()) -> tuple[Any, tuple[Any, ...]] | None:
    """The block holding the last line box under *box*, with the elements from the root to it."""
    from weasyprint.formatting_structure import boxes

    elements = (
        above
        if box.element is None or (above and above[-1] is box.element)
        else (*above, box.element)
    )
    found = None
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.LineBox):
            found = (box, elements)
        elif (inner := _last_line(child, elements)) is not None:
            found = inner
    return found


def _selector(elements: tuple[Any, ...]) -> str | None:
    """A CSS selector for the last of *elements*: from its nearest ancestor with an id."""
    current = elements[-1]
    steps: list[str] = []
    for parent in reversed(elements[:-1]):
        if current.get("id"):
            break
        siblings = [element for element in parent if isinstance(element.tag, str)]
        if current not in siblings:
            return None
        steps.insert(0, f" > :nth-child({siblings.index(current) + 1})")
        current = parent
    identifier = current.get("id")
    if not identifier:
        return ":root" + "".join(steps)
    escaped = str(identifier).replace("\\", "\\\\").replace('"', '\\"')
    return f'[id="{escaped}"]' + "".join(steps)


def keep_with_call_rules(document: Any, separated: list[tuple[int, str]]) -> list[str]:
    """CSS rules keeping whole the block that ends each page whose footnotes were moved on."""
    from weasyprint.formatting_structure import boxes

    rules = []
    for page_number in sorted({page for page, _note in separated}):
        # The page's laid-out boxes: WeasyPrint keeps them on the page object (pinned major).
        root = document.pages[page_number - 1]._page_box.children[0]
        found = _last_line(root, ())
        if found is None:
            continue
        block, elements = found
        selector = _selector(elements)
        if selector is None:
            continue
        lines = sum(isinstance(child, boxes.LineBox) for child in block.children)
        rules.append(f"{selector} {{ orphans: {lines + 1}; }}")
    return rules
