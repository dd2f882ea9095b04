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

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PAGE_SIZES = {"A4": "A4", "Letter": "letter"}


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
    """CSS that prints *template* ("(p. {page})") after each marked reference."""
    before, _, after = template.partition("{page}")
    counter = "target-counter(attr(href url), page)"
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
        from weasyprint.text.fonts import FontConfiguration

        from triptych.safety.fetcher import ConfinedURLFetcher

        assets = asset_path("fonts").parent
        self.font_config = FontConfiguration()
        self.fetcher = ConfinedURLFetcher(roots=(*roots, assets), allowed_hosts=allowed_hosts)
        self.base_url = base_dir.as_uri() + "/"
        page_css = (
            f"@page {{ size: {PAGE_SIZES[paper_size]}; }}\n"
            f".triptych-chapter, .triptych-part {{ break-before: {'right' if chapter_start == 'right' else 'page'}; }}\n"
            + page_reference_css(page_reference)
        )
        self.stylesheet = CSS(
            string=asset_text("print.css") + extra_css + page_css,
            base_url=assets.as_uri() + "/",
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )
        self.pdf_variant = pdf_variant or None
        self.problems: list[stdlib_logging.LogRecord] = []

    def render(self, html: str) -> Any:
        from weasyprint import HTML

        with weasyprint_problems() as problems:
            document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                stylesheets=[self.stylesheet],
                font_config=self.font_config,
                pdf_variant=self.pdf_variant,
            )
        self.problems.extend(problems)
        return document

    def write(self, document: Any) -> bytes:
        with weasyprint_problems() as problems:
            pdf = document.write_pdf(pdf_variant=self.pdf_variant)
        self.problems.extend(problems)
        return bytes(pdf)


def anchor_pages(document: Any) -> dict[str, int]:
    """The page (from 1) on which each anchor of a laid-out document stands."""
    return {
        anchor: number
        for number, page in enumerate(document.pages, start=1)
        for anchor in page.anchors
    }


def drop_repeated_pages(chapters: list[nodes.container], pages: dict[str, int]) -> bool:
    """Hide back-references whose page repeats an earlier one of the same entry ("4, 4, 7").

    Returns whether any was hidden.
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
                if page is None:
                    continue
                if page in seen and "triptych-repeated-page" not in item["classes"]:
                    item["classes"].append("triptych-repeated-page")
                    changed = True
                seen.add(page)
            lead = paragraph.children[0] if paragraph.children else None
            if (
                len(seen) == 1
                and isinstance(lead, nodes.Text)
                and lead.astext() == "Used on pages "
            ):
                paragraph.replace(lead, nodes.Text("Used on page "))
    return changed
