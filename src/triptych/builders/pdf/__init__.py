"""The PDF edition: every document merged into one HTML file, laid out by WeasyPrint in-process.

Built on Sphinx's single-file HTML builder, which already writes every
document into one page and resolves references to ``#document-<doc>#<id>``.
The builder merges the doctrees itself (:mod:`.assembly`), renders the print
HTML from a sandboxed template, lays it out (:mod:`.layout`), writes one PDF
per article (:mod:`.articles`) and fails on any problem WeasyPrint logs,
naming the article it comes from (:mod:`.locate`).
"""

from __future__ import annotations

import gc
import shutil
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
from sphinx.util.parallel import ParallelTasks

from triptych import config as triptych_config
from triptych.apparatus.imprint import Imprint
from triptych.apparatus.index import publication_index
from triptych.builders import (
    BookEditionBuilder,
    EditionSummary,
    asset_text,
    unlink_outside,
    write_atomically,
)
from triptych.builders.pdf.articles import standalone_chapter
from triptych.builders.pdf.assembly import (
    book_body,
    chapter_numbers,
    chapter_of,
    id_owners,
    mark_page_references,
    print_contents,
)
from triptych.builders.pdf.backmatter import (
    INDEX_ID,
    INDEX_TITLE,
    anchor_index_targets,
    index_chapter,
    settle_index_pages,
)
from triptych.builders.pdf.floats import defer_figures, mark_figures
from triptych.builders.pdf.layout import (
    PrintLayout,
    anchor_pages,
    anchor_pages_first,
    drop_repeated_pages,
    separated_footnotes,
)
from triptych.builders.pdf.locate import ProblemLocator
from triptych.builders.pdf.notes import footnote_pairs, place_footnotes_at_calls
from triptych.builders.pdf.translator import PrintTranslator
from triptych.diagnostics import PdfRenderError, Subtype, warn
from triptych.documents import TitlePage, is_front_matter, prepare_for_book, publication_order
from triptych.safety.directives import readable_root

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

#: ``triptych_hyphenate = False``: print breaks lines between words only.
NO_HYPHENATION_CSS = "html { hyphens: manual; }\n"

#: Layouts of the book at most: each may settle page lists and footnotes the one before moved.
MAX_LAYOUTS = 4


class PdfBuilder(BookEditionBuilder, SingleFileHTMLBuilder):
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
    #: Writes each id where its content begins, so page numbers and links find it.
    default_translator_class = PrintTranslator

    def __init__(self, app: Sphinx, env: BuildEnvironment) -> None:
        super().__init__(app, env)
        # Intermediate files live beside the doctrees; the output folder gets the PDF only.
        self.staging_dir = Path(self.doctreedir) / "triptych-pdf"
        self.print_html = ""
        self.chapters: list[nodes.container] = []
        #: What follows the articles in the book (its index), not in the article PDFs.
        self.back_matter: list[nodes.container] = []
        self.order: list[str] = []
        self.summary: EditionSummary | None = None
        #: Processes for the article PDFs: the application's ``-j``, noted at builder-inited.
        self.jobs = 1

    def post_process_images(self, doctree: nodes.Node) -> None:
        super().post_process_images(doctree)
        for image in doctree.findall(nodes.image):
            if not str(image.get("alt") or "").strip():
                # PDF/UA needs a text for every figure; the author was warned it lacks one.
                caption = next(iter(image.parent.findall(nodes.caption)), None)
                image["alt"] = caption.astext() if caption is not None else Path(image["uri"]).stem

    @property
    def pdf_path(self) -> Path:
        return Path(self.outdir) / f"{self.config.triptych_slug}.pdf"

    def write_documents(self, _docnames: AbstractSet[str]) -> None:
        self.prepare_writing(self.env.all_docs.keys())
        order = publication_order(self.env)
        self.imgpath = self.imagedir
        self.secnumbers, self.fignumbers = {}, {}
        chapters = [
            self.assemble_chapter(docname)
            for docname in status_iterator(
                order, __("assembling "), "darkgreen", len(order), self.config.verbosity
            )
        ]
        ids = id_owners(chapters, order)
        for docname, chapter in zip(order, chapters, strict=True):
            unlink_outside(
                chapter, lambda uri: uri.startswith("#") and uri[1:] in ids, "PDF", docname
            )
        mark_page_references(chapters, order)
        mark_figures(chapters)
        index = index_chapter(publication_index(self.env))
        self.back_matter = [index] if index is not None else []
        with progress_message(__("writing the print HTML")):
            self.print_html = self.render_print_html(chapters, order)
        self.chapters, self.order = chapters, order

    def assemble_chapter(self, docname: str) -> nodes.container:
        doctree = self.env.get_doctree(docname)
        self.env.resolve_references(doctree, docname, self)
        prepare_for_book(doctree, docname, self.config, keep_toctrees=False)
        self.post_process_images(doctree)
        chapter = chapter_of(
            doctree, docname, self.env, front_matter=is_front_matter(self.config, docname)
        )
        place_footnotes_at_calls(chapter)
        anchor_index_targets(chapter)
        fignumbers, secnumbers = chapter_numbers(self.env, docname, doctree)
        for figtype, numbers in fignumbers.items():
            self.fignumbers.setdefault(figtype, {}).update(numbers)
        self.secnumbers.update(secnumbers)
        return chapter

    def render_print_html(
        self, chapters: list[nodes.container], order: list[str], standalone: bool = False
    ) -> str:
        document = new_document(str(self.env.doc2path(self.config.root_doc)), self.docsettings)
        # The writer adds to the doctree it walks (admonition titles): walk a copy, so a second
        # rendering of the same chapters prints them once.
        copies = [chapter.deepcopy() for chapter in chapters]
        if standalone:
            document.extend(copies)
        else:
            document.extend(book_body(self.env, copies, order))
            document.extend(matter.deepcopy() for matter in self.back_matter)
        self.current_docname = self.config.root_doc
        visitor = self.create_translator(document, self)
        document.walkabout(visitor)
        body = "".join(visitor.fragment)  # type: ignore[attr-defined]

        template = SandboxedEnvironment(autoescape=True).from_string(asset_text("print.html"))
        conf = self.config
        created = triptych_config.build_date().isoformat().replace("+00:00", "Z")
        title_page = TitlePage.of(conf)
        return template.render(
            language=conf.language or "en",
            title=title_page.title,
            subtitle=title_page.subtitle,
            authors=list(title_page.authors),
            date=title_page.date,
            edition=title_page.edition,
            created=created,
            description=conf.triptych_description,
            keywords=", ".join(conf.triptych_subjects),
            standalone=standalone,
            imprint=Imprint.of(conf),
            article_title=self.env.titles[order[0]].astext() if standalone else "",
            contents=[]
            if standalone
            else print_contents(self.env, order) + self.back_matter_contents(),
            body=Markup(body),
        )

    def back_matter_contents(self) -> list[dict[str, Any]]:
        """Contents lines for what follows the articles."""
        return [
            {"title": INDEX_TITLE, "href": "#" + INDEX_ID, "children": []}
            for chapter in self.back_matter
            if INDEX_ID in chapter["ids"]
        ]

    def finish(self) -> None:
        self.copy_image_files()
        self.write_print_html()
        self.write_pdf()
        self.write_article_pdfs()
        # Laid-out documents hold Pango objects in reference cycles. Freed here,
        # they go while WeasyPrint's libraries are whole; left to the
        # interpreter's shutdown, their destructors may run after those are torn down.
        gc.collect()

    @progress_message(__("writing the print HTML"))
    def write_print_html(self) -> None:
        path = self.staging_dir / f"{self.config.triptych_slug}.html"
        write_atomically(path, self.print_html.encode())

    @property
    def articles_dir(self) -> Path:
        return Path(self.outdir) / "articles"

    def layout(self) -> PrintLayout:
        conf = self.config
        return PrintLayout(
            # The project first: a refusal names it.
            roots=(readable_root(self.env), self.staging_dir),
            base_dir=self.staging_dir,
            extra_css=self.highlighter.get_stylesheet()
            + ("" if conf.triptych_hyphenate else NO_HYPHENATION_CSS),
            paper_size=conf.triptych_paper_size,
            chapter_start=conf.triptych_chapter_start,
            page_reference=conf.triptych_page_reference,
            pdf_variant=conf.triptych_pdf_variant,
            allowed_hosts=tuple(conf.triptych_allowed_hosts),
        )

    def locator(self) -> ProblemLocator:
        return ProblemLocator(self.env, self.order, self.chapters, self.images)

    def write_pdf(self) -> None:
        layout = self.layout()
        with progress_message(__("laying out the PDF")):
            document = self.settled_layout(layout)
            pdf = layout.write(document)
        self.locator().report(layout.problems)
        write_atomically(self.pdf_path, pdf)
        self.summary = EditionSummary("pdf", self.pdf_path, len(pdf), len(document.pages), "pages")
        logger.info(self.summary.line())

    def lay_out_again(self, layout: PrintLayout) -> Any:
        """The print HTML written anew from the chapters as they now are, and laid out."""
        self.print_html = self.render_print_html(self.chapters, self.order)
        self.write_print_html()
        return layout.render(self.print_html)

    def settled_layout(self, layout: PrintLayout) -> Any:
        """The book laid out until what depends on its pages holds: figures, page lists, notes."""
        document = layout.render(self.print_html)
        if defer_figures(self.chapters, document):
            # Text moved up into the holes, so later pages may have changed.
            document = self.lay_out_again(layout)
        pairs = footnote_pairs(self.chapters)
        for _ in range(MAX_LAYOUTS - 1):
            # Only the glossary's lists and the index change, so the pages they point at stay put.
            html_changed = drop_repeated_pages(self.chapters, anchor_pages(document))
            html_changed |= settle_index_pages(self.back_matter, anchor_pages_first(document))
            css_changed = layout.keep_footnotes_with_calls(document, pairs)
            if not (html_changed or css_changed):
                return document
            document = (
                self.lay_out_again(layout) if html_changed else layout.render(self.print_html)
            )
        for page, note in separated_footnotes(document, pairs):
            owner = id_owners(self.chapters, self.order).get(note)
            warn(
                logger, Subtype.FOOTNOTE_PAGE,
                "a footnote called on page %d is printed on a later page", page,
                location=str(self.env.doc2path(owner)) if owner else None,
            )  # fmt: skip
        return document

    def write_article_pdfs(self) -> None:
        """One PDF per article; links to other articles point at the site, or become text."""
        # Articles removed or renamed since the last build must not linger.
        shutil.rmtree(self.articles_dir, ignore_errors=True)
        if not self.config.triptych_article_pdfs:
            return
        owners = id_owners(self.chapters, self.order)
        pages = [
            (docname, self.render_print_html(
                [standalone_chapter(self.env, docname, chapter, owners)], [docname], standalone=True
            ))
            for docname, chapter in zip(self.order, self.chapters, strict=True)
            if not is_front_matter(self.config, docname)
        ]  # fmt: skip
        # WeasyPrint uses one core; with -j the articles are laid out side by side.
        if self.parallel_ok and self.jobs > 1 and len(pages) > 1:
            tasks = ParallelTasks(self.jobs)
            for chunk in (pages[i :: self.jobs] for i in range(self.jobs)):
                tasks.add_task(self.lay_out_articles, chunk, self.save_articles)
            tasks.join()
        else:
            self.save_articles(pages, self.lay_out_articles(pages))
        logger.info("pdf   %s  %d article PDFs", self.articles_dir, len(pages))

    def lay_out_articles(self, pages: list[tuple[str, str]]) -> list[tuple[str, bytes, str]]:
        """(docname, PDF, error or "") for each article's print HTML."""
        layout = self.layout()
        locator = self.locator()
        results = []
        for docname, html in status_iterator(
            pages, __("writing article PDFs "), "darkgreen", len(pages),
            self.config.verbosity, stringify_func=lambda page: page[0],
        ):  # fmt: skip
            pdf = layout.write(self.article_layout(layout, docname, html))
            try:
                locator.report(layout.problems)
            except PdfRenderError as error:
                results.append((docname, b"", f"{error.location}: {error}".lstrip(": ")))
                continue
            results.append((docname, pdf, ""))
        return results

    def article_layout(self, layout: PrintLayout, docname: str, html: str) -> Any:
        """One article laid out, its footnotes kept on the pages of their calls."""
        layout.keep_rules = []
        document = layout.render(html)
        chapter = self.chapters[self.order.index(docname)]
        pairs = footnote_pairs([chapter])
        for _ in range(MAX_LAYOUTS - 1):
            if not layout.keep_footnotes_with_calls(document, pairs):
                break
            document = layout.render(html)
        return document

    def save_articles(
        self, pages: list[tuple[str, str]], results: list[tuple[str, bytes, str]]
    ) -> None:
        for docname, pdf, error in results:
            if error:
                raise PdfRenderError(error)
            write_atomically(self.articles_dir / f"{docname}.pdf", pdf)


def note_parallel_jobs(app: Sphinx) -> None:
    """The PDF builder lays out article PDFs in the application's ``-j`` processes."""
    if isinstance(app.builder, PdfBuilder):
        app.builder.jobs = app.parallel


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b pdf``: triptych registers its builders."""
    app.setup_extension("triptych")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
