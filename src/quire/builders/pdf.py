"""The PDF edition: every document merged into one HTML file, laid out by WeasyPrint in-process.

Built on Sphinx's single-file HTML builder, which already writes every
document into one page and resolves references to ``#document-<doc>#<id>``.
quire merges the doctrees itself, qualifies every id with its document's name
(see :mod:`quire.references`), adds a title page and a contents list, and
fails the build on any problem WeasyPrint logs.
"""

from __future__ import annotations

import logging as stdlib_logging
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.utils import new_document
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from sphinx.builders.singlehtml import SingleFileHTMLBuilder
from sphinx.locale import __
from sphinx.util import logging
from sphinx.util.display import progress_message, status_iterator

from quire import config as quire_config
from quire.builders import EditionSummary, asset_text, write_atomically
from quire.diagnostics import PdfRenderError, Subtype, warn
from quire.documents import (
    ContentsEntry,
    document_contents,
    make_front_matter,
    publication_order,
    remove_toctrees,
)
from quire.references import chapter_anchor, qualified_id, qualify_ids

if TYPE_CHECKING:
    from collections.abc import Iterator
    from collections.abc import Set as AbstractSet

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

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


class PdfBuilder(SingleFileHTMLBuilder):
    """Renders the whole publication as one PDF with WeasyPrint."""

    name = "pdf"
    format = "html"  # keeps third-party node visitors registered for HTML working
    epilog = __("The PDF edition is in %(outdir)s.")

    copysource = False
    search = False
    embedded = True
    add_permalinks = False
    html_scaled_image_link = False
    supported_image_types = ["image/svg+xml", "image/png", "image/gif", "image/jpeg"]  # noqa: RUF012
    supported_remote_images = False

    def __init__(self, app: Sphinx, env: BuildEnvironment) -> None:
        super().__init__(app, env)
        # Intermediate files live beside the doctrees; the output folder gets the PDF only.
        self.staging_dir = Path(self.doctreedir) / "quire-pdf"
        self._images_dir = self.staging_dir / "_images"
        self.print_html = ""
        self.chapters: list[nodes.container] = []
        self.order: list[str] = []
        self.summary: EditionSummary | None = None

    def get_theme_config(self) -> tuple[str, dict[str, Any]]:
        return "basic", {}

    def copy_assets(self) -> None:
        # The theme's scripts and stylesheets are for the site; this edition carries its own.
        pass

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        if docname in self.env.all_docs:
            return "#" + chapter_anchor(docname)
        return docname + self.out_suffix

    @property
    def pdf_path(self) -> Path:
        return Path(self.outdir) / f"{self.config.quire_slug}.pdf"

    def write_documents(self, _docnames: AbstractSet[str]) -> None:
        self.prepare_writing(self.env.all_docs.keys())
        order = publication_order(self.env)
        self.imgpath = "_images"
        self.secnumbers, self.fignumbers = {}, {}
        chapters = [
            self.assemble_chapter(docname)
            for docname in status_iterator(
                order, __("assembling "), "darkgreen", len(order), self.config.verbosity
            )
        ]
        mark_page_references(chapters, order)
        with progress_message(__("writing the print HTML")):
            self.print_html = self.render_print_html(chapters, order)
        self.chapters, self.order = chapters, order

    def assemble_chapter(self, docname: str) -> nodes.container:
        doctree = self.env.get_doctree(docname)
        if self._is_front_matter(docname):
            make_front_matter(doctree)
        remove_toctrees(doctree)
        self.env.resolve_references(doctree, docname, self)
        self.post_process_images(doctree)
        qualify_ids(doctree, docname, self.env.all_docs)
        self._collect_numbers(docname, doctree)

        chapter = nodes.container(classes=["quire-chapter"], ids=[chapter_anchor(docname)])
        if self._is_front_matter(docname):
            chapter["classes"].append("quire-front-matter")
        chapter.extend(list(doctree.children))
        return chapter

    def _is_front_matter(self, docname: str) -> bool:
        return bool(self.config.quire_front_matter) and docname == self.config.root_doc

    def _collect_numbers(self, docname: str, doctree: nodes.document) -> None:
        """Figure and section numbers, keyed by the qualified ids the writer will see."""
        for figtype, numbers in self.env.toc_fignumbers.get(docname, {}).items():
            merged = self.fignumbers.setdefault(figtype, {})
            for node_id, number in numbers.items():
                merged[qualified_id(docname, node_id)] = number
        top = next(iter(doctree.findall(nodes.section)), None)
        for anchor, number in self.env.toc_secnumbers.get(docname, {}).items():
            if anchor:
                self.secnumbers["#" + qualified_id(docname, anchor.lstrip("#"))] = number
            elif top is not None and top["ids"]:
                self.secnumbers["#" + top["ids"][0]] = number

    def render_print_html(self, chapters: list[nodes.container], order: list[str]) -> str:
        document = new_document(str(self.env.doc2path(self.config.root_doc)), self.docsettings)
        document.extend(chapters)
        self.current_docname = self.config.root_doc
        visitor = self.create_translator(document, self)
        document.walkabout(visitor)
        body = "".join(visitor.fragment)  # type: ignore[attr-defined]

        template = SandboxedEnvironment(autoescape=True).from_string(asset_text("print.html"))
        conf = self.config
        created = quire_config.build_date().isoformat().replace("+00:00", "Z")
        return template.render(
            language=conf.language or "en",
            title=conf.project,
            subtitle=conf.quire_subtitle,
            authors=list(conf.quire_authors),
            date=quire_config.display_date(conf),
            edition=conf.quire_edition,
            created=created,
            contents=self.print_contents(order),
            body=Markup(body),
        )

    def print_contents(self, order: list[str]) -> list[dict[str, Any]]:
        """Contents entries as (title, link, children), pointing at qualified ids."""

        def link(entry: ContentsEntry) -> dict[str, Any]:
            href = (
                qualified_id(entry.docname, entry.anchor)
                if entry.anchor
                else chapter_anchor(entry.docname)
            )
            return {
                "title": entry.title,
                "href": "#" + href,
                "children": [link(child) for child in entry.children],
            }

        contents: list[dict[str, Any]] = []
        for docname in order:
            if self._is_front_matter(docname):
                front = document_contents(self.env, docname, depth=3)
                contents.extend(link(section) for section in front.children)
            else:
                contents.append(link(document_contents(self.env, docname, depth=2)))
        return contents

    def finish(self) -> None:
        self.copy_image_files()
        self.write_print_html()
        self.write_pdf()

    @progress_message(__("writing the print HTML"))
    def write_print_html(self) -> None:
        path = self.staging_dir / f"{self.config.quire_slug}.html"
        write_atomically(path, self.print_html.encode())

    def write_pdf(self) -> None:
        from weasyprint import CSS, HTML

        from quire.safety import ConfinedURLFetcher

        fetcher = ConfinedURLFetcher(roots=(self.staging_dir, Path(self.srcdir)))
        base_url = self.staging_dir.as_uri() + "/"
        page_css = f"@page {{ size: {PAGE_SIZES[self.config.quire_paper_size]}; }}\n"
        page_css += page_reference_css(self.config.quire_page_reference)
        with progress_message(__("laying out the PDF")), weasyprint_problems() as problems:
            stylesheet = CSS(
                string=asset_text("print.css") + self.highlighter.get_stylesheet() + page_css,
                base_url=base_url,
                url_fetcher=fetcher,
            )

            def render() -> Any:
                html = HTML(string=self.print_html, base_url=base_url, url_fetcher=fetcher)
                return html.render(stylesheets=[stylesheet])

            document = render()
            if drop_repeated_pages(self.chapters, anchor_pages(document)):
                # Only the glossary's lists change, so the pages they point at stay put.
                self.print_html = self.render_print_html(self.chapters, self.order)
                self.write_print_html()
                document = render()
            pdf = document.write_pdf()
        self._report(problems)
        write_atomically(self.pdf_path, pdf)
        self.summary = EditionSummary("pdf", self.pdf_path, len(pdf), len(document.pages), "pages")
        logger.info(self.summary.line())

    def _report(self, problems: list[stdlib_logging.LogRecord]) -> None:
        errors = [record.getMessage() for record in problems if record.levelno >= 40]
        for record in problems:
            if record.levelno < 40:
                warn(logger, Subtype.PDF_RENDER, "WeasyPrint: %s", record.getMessage())
        if errors:
            raise PdfRenderError("; ".join(errors))


def mark_page_references(chapters: list[nodes.container], order: list[str]) -> None:
    """Mark references that print a page number: to a section of another article, and back-references."""
    section_doc: dict[str, str] = {}
    for docname, chapter in zip(order, chapters, strict=True):
        section_doc[chapter_anchor(docname)] = docname
        for section in chapter.findall(nodes.section):
            section_doc.update(dict.fromkeys(section["ids"], docname))
    for docname, chapter in zip(order, chapters, strict=True):
        for reference in chapter.findall(nodes.reference):
            target = str(reference.get("refuri", "")).removeprefix("#")
            if section_doc.get(target, docname) != docname:
                reference["classes"].append("quire-pageref")
            elif any(
                "quire-page-number" in child.get("classes", ())
                for child in reference.children
                if isinstance(child, nodes.Element)
            ):
                reference["classes"].append("quire-page-number")


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
            if "quire-backrefs" not in paragraph["classes"]:
                continue
            seen: set[int] = set()
            for item in paragraph.findall(nodes.inline):
                if "quire-backref" not in item["classes"]:
                    continue
                reference = next(item.findall(nodes.reference), None)
                target = str(reference.get("refuri", "")).removeprefix("#") if reference else ""
                page = pages.get(target)
                if page is None:
                    continue
                if page in seen and "quire-repeated-page" not in item["classes"]:
                    item["classes"].append("quire-repeated-page")
                    changed = True
                seen.add(page)
    return changed


def page_reference_css(template: str) -> str:
    """CSS that prints *template* ("(p. {page})") after each marked reference."""
    before, _, after = template.partition("{page}")
    counter = "target-counter(attr(href url), page)"
    return (
        f"a.quire-pageref::after {{ content: {css_string(before)} {counter} {css_string(after)}; }}\n"
        f"a.quire-page-number::after {{ content: {counter}; }}\n"
    )


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b pdf``: quire registers its builders."""
    app.setup_extension("quire")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
