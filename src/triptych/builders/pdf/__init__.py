"""The PDF edition: every document merged into one HTML file, laid out by WeasyPrint in-process.

Built on Sphinx's single-file HTML builder, which already writes every
document into one page and resolves references to ``#document-<doc>#<id>``.
The builder merges the doctrees itself (:mod:`.assembly`), renders the print
HTML from a sandboxed template, lays it out (:mod:`.layout`), cuts one PDF
per article from the book, after a cover page (:mod:`.offprints`), and fails on
any problem WeasyPrint logs, naming the article it comes from (:mod:`.locate`).
"""

from __future__ import annotations

import gc
import json
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

from triptych.apparatus.imprint import Imprint
from triptych.apparatus.index import INDEX_TITLE, publication_index
from triptych.builders import (
    BookEditionBuilder,
    EditionSummary,
    asset_text,
    unlink_outside,
    write_atomically,
)
from triptych.builders.pdf.articles import site_address
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
    anchor_index_targets,
    index_chapter,
    settle_index_pages,
)
from triptych.builders.pdf.cache import LayoutCache, layout_key
from triptych.builders.pdf.floats import defer_figures, mark_figures
from triptych.builders.pdf.ids import PART_ANCHOR_PREFIX, chapter_anchor
from triptych.builders.pdf.layout import (
    PrintLayout,
    drop_repeated_pages,
    separated_footnotes,
)
from triptych.builders.pdf.locate import ProblemLocator
from triptych.builders.pdf.notes import footnote_pairs, place_footnotes_at_calls
from triptych.builders.pdf.offprints import Book, Piece, article_pages, offprint, page_span
from triptych.builders.pdf.pagemap import (
    PagesNotSettled,
    moved_numbers,
    page_map,
    slot_targets,
    with_page_numbers,
)
from triptych.builders.pdf.translator import PrintTranslator
from triptych.diagnostics import Subtype, warn
from triptych.documents import (
    TitlePage,
    is_front_matter,
    prepare_for_book,
    publication_order,
    title_of,
)
from triptych.safety.directives import readable_root

if TYPE_CHECKING:
    import logging as stdlib_logging
    from collections.abc import Set as AbstractSet

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

#: ``triptych_hyphenate = False``: print breaks lines between words only.
NO_HYPHENATION_CSS = "html { hyphens: manual; }\n"

#: The name the book's PDF is kept under, beside the doctrees (articles: their document names).
BOOK_CACHE_NAME = "book"

#: The name the cover pages of the article PDFs are kept under, beside the book.
COVERS_CACHE_NAME = "covers"

#: Layouts of the book at most: each prints the page numbers of the one before, and may settle
#: page lists and footnotes it moved.
MAX_LAYOUTS = 5


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
        #: The page each page slot of the print HTML prints (see :mod:`.pagemap`).
        self.printed_pages: dict[str, int] = {}
        #: (page, note) for the footnotes the book could not keep on their calls' pages.
        self.separated_notes: list[tuple[int, str]] = []
        self.chapters: list[nodes.container] = []
        #: What follows the articles in the book (its index), not in the article PDFs.
        self.back_matter: list[nodes.container] = []
        self.order: list[str] = []
        self.summary: EditionSummary | None = None

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

    def render_print_html(self, chapters: list[nodes.container], order: list[str]) -> str:
        document = new_document(str(self.env.doc2path(self.config.root_doc)), self.docsettings)
        # The writer adds to the doctree it walks (admonition titles): walk a copy, so a second
        # rendering of the same chapters prints them once.
        copies = [chapter.deepcopy() for chapter in chapters]
        document.extend(book_body(self.env, copies, order))
        document.extend(matter.deepcopy() for matter in self.back_matter)
        self.current_docname = self.config.root_doc
        visitor = self.create_translator(document, self)
        document.walkabout(visitor)
        body = "".join(visitor.fragment)  # type: ignore[attr-defined]

        template = SandboxedEnvironment(autoescape=True).from_string(asset_text("print.html"))
        conf = self.config
        title_page = TitlePage.of(conf)
        return template.render(
            language=conf.language or "en",
            title=title_page.title,
            subtitle=title_page.subtitle,
            authors=list(title_page.authors),
            date=title_page.date,
            edition=title_page.edition,
            description=conf.triptych_description,
            keywords=", ".join(conf.triptych_subjects),
            imprint=Imprint.of(conf),
            contents=print_contents(self.env, order) + self.back_matter_contents(),
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
        write_atomically(path, self.numbered_print_html().encode())

    def numbered_print_html(self) -> str:
        """The print HTML as it is laid out: with the page numbers it prints."""
        return with_page_numbers(self.print_html, self.printed_pages)

    @property
    def page_map_path(self) -> Path:
        """The pages the last book printed: the first guess of the next build's layout."""
        return self.staging_dir / "pages.json"

    def previous_pages(self, targets: set[str]) -> dict[str, int]:
        try:
            saved = json.loads(self.page_map_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(saved, dict):
            return {}
        return {
            target: page
            for target, page in saved.items()
            if target in targets and isinstance(page, int) and not isinstance(page, bool)
        }

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

    @property
    def cache(self) -> LayoutCache:
        return LayoutCache(self.staging_dir / "kept")

    def layout_key(self, layout: PrintLayout, html: str) -> str:
        images = [self.staging_dir / self.imagedir / name for name in self.images.values()]
        return layout_key(html, layout.settings, images)

    def write_pdf(self) -> None:
        layout = self.layout()
        key = self.layout_key(layout, self.print_html)
        kept = self.cache.get(BOOK_CACHE_NAME, key)
        if kept is not None:
            # The same print HTML with the same settings: the book it gave is the book.
            pdf, pages = kept.pdf, kept.pages
        else:
            with progress_message(__("laying out the PDF")):
                document = self.settled_layout(layout)
                pdf = layout.write(document)
            pages = len(document.pages)
            self.keep_new_problems(layout)
            self.locator().report(self.layout_problems)
            write_atomically(
                self.page_map_path, json.dumps(self.printed_pages, sort_keys=True).encode()
            )
            if not (self.layout_messages or self.separated_notes):
                self.cache.put(BOOK_CACHE_NAME, key, pdf, pages)
        write_atomically(self.pdf_path, pdf)
        self.summary = EditionSummary("pdf", self.pdf_path, len(pdf), pages, "pages")
        logger.info(self.summary.line())

    def settled_layout(self, layout: PrintLayout) -> Any:
        """The book laid out until what depends on its pages holds.

        Each layout after the first prints the page numbers the one before laid out, moves the
        figures below a gap (after the first only), settles the glossary's and the index's page
        lists and keeps footnotes with their calls; the book is done when a layout changes
        none of them. Page numbers that still move after :data:`MAX_LAYOUTS` fail the build.
        """
        targets = slot_targets(self.print_html)
        self.printed_pages = self.previous_pages(targets)
        if self.settle_page_lists(self.printed_pages):
            # The last build's pages: its page lists are the likeliest to hold.
            self.print_html = self.render_print_html(self.chapters, self.order)
        self.layout_messages: set[str] = set()
        self.layout_problems: list[stdlib_logging.LogRecord] = []
        document = layout.render(self.numbered_print_html())
        self.keep_new_problems(layout)
        pairs = footnote_pairs(self.chapters)
        layouts = 1
        while True:
            pages = page_map(document)
            moved = moved_numbers(targets, self.printed_pages, pages)
            html_changed = layouts == 1 and defer_figures(self.chapters, document)
            html_changed |= self.settle_page_lists(pages)
            css_changed = layout.keep_footnotes_with_calls(document, pairs)
            if not (moved or html_changed or css_changed):
                break
            if layouts == MAX_LAYOUTS:
                if moved:
                    raise PagesNotSettled(
                        layouts, moved, str(self.env.doc2path(self.config.root_doc))
                    )
                break
            self.printed_pages = {target: pages[target] for target in targets if target in pages}
            if html_changed:
                # Text moved, or page lists were shortened: the print HTML is written anew.
                self.print_html = self.render_print_html(self.chapters, self.order)
                targets = slot_targets(self.print_html)
            # Freed before the next layout, not after it: two laid-out books at once would
            # double the peak memory. Their Pango objects sit in reference cycles.
            del document
            gc.collect()
            document = layout.render(self.numbered_print_html())
            self.keep_new_problems(layout)
            layouts += 1
        # What was laid out last, numbers included, is kept to be looked at.
        self.write_print_html()
        logger.verbose("the PDF was laid out %d times", layouts)
        self.separated_notes = separated_footnotes(document, pairs)
        for page, note in self.separated_notes:
            owner = id_owners(self.chapters, self.order).get(note)
            warn(
                logger, Subtype.FOOTNOTE_PAGE,
                "a footnote called on page %d is printed on a later page", page,
                location=str(self.env.doc2path(owner)) if owner else None,
            )  # fmt: skip
        return document

    def keep_new_problems(self, layout: PrintLayout) -> None:
        """Keep what WeasyPrint logged that no layout of this book logged before.

        Each layout of the same book logs the same messages again: each is reported once.
        """
        for record in layout.problems:
            if (message := record.getMessage()) not in self.layout_messages:
                self.layout_messages.add(message)
                self.layout_problems.append(record)
        layout.problems.clear()

    def settle_page_lists(self, pages: dict[str, int]) -> bool:
        """Page lists (back-references, the index) without repeats, for *pages*; whether any
        changed."""
        changed = drop_repeated_pages(self.chapters, pages)
        return settle_index_pages(self.back_matter, pages) or changed

    def write_article_pdfs(self) -> None:
        """One PDF per article: a cover page, then the book's pages of that article."""
        # Articles removed or renamed since the last build must not linger.
        shutil.rmtree(self.articles_dir, ignore_errors=True)
        if not self.config.triptych_article_pdfs:
            return
        # Cut from the book as written, whether it was laid out now or kept from the last build.
        with Book(self.pdf_path.read_bytes()) as book:
            starts = [chapter_anchor(docname) for docname in self.order]
            starts += [name for name in book.pages if name.startswith(PART_ANCHOR_PREFIX)]
            starts += [anchor for matter in self.back_matter for anchor in matter["ids"]]
            articles = {
                docname: article_pages(book.pages, starts, chapter_anchor(docname), book.page_count)
                for docname in self.order
                if not is_front_matter(self.config, docname)
                and chapter_anchor(docname) in book.pages
            }
            if articles:
                with Book(self.cover_pdf(articles)) as covers:
                    self.write_offprints(book, covers, articles)
        logger.info("pdf   %s  %d article PDFs", self.articles_dir, len(articles))

    def write_offprints(self, book: Book, covers: Book, articles: dict[str, range]) -> None:
        owners = id_owners(self.chapters, self.order)
        base = str(self.config.html_baseurl or "").rstrip("/")
        publication = TitlePage.of(self.config).title
        for number, (docname, pages) in enumerate(
            status_iterator(
                articles.items(), __("writing article PDFs "), "darkgreen", len(articles),
                self.config.verbosity, stringify_func=lambda item: item[0],
            )
        ):  # fmt: skip
            cover = Piece(covers, range(number, number + 1))
            chapter = Piece(
                book,
                range(pages.start - 1, pages.stop - 1),
                lambda name: site_address(base, owners, name),
            )
            title = f"{title_of(self.env, docname)} · {publication}"
            pdf = offprint([cover, chapter], title, pages.start)
            write_atomically(self.articles_dir / f"{docname}.pdf", pdf)

    def cover_pdf(self, articles: dict[str, range]) -> bytes:
        """The cover pages of the article PDFs, one a page, laid out as one document."""
        layout = self.layout()
        html = self.render_covers_html(articles)
        key = self.layout_key(layout, html)
        kept = self.cache.get(COVERS_CACHE_NAME, key)
        if kept is not None:
            return kept.pdf
        with progress_message(__("laying out the covers of the article PDFs")):
            document = layout.render(html)
            pdf = layout.write(document)
        clean = not layout.problems
        self.locator().report(layout.problems)
        if clean:
            self.cache.put(COVERS_CACHE_NAME, key, pdf, len(document.pages))
        return pdf

    def render_covers_html(self, articles: dict[str, range]) -> str:
        conf = self.config
        title_page = TitlePage.of(conf)
        base = str(conf.html_baseurl or "").rstrip("/")
        template = SandboxedEnvironment(autoescape=True).from_string(asset_text("covers.html"))
        return template.render(
            language=conf.language or "en",
            title=title_page.title,
            subtitle=title_page.subtitle,
            authors=list(title_page.authors),
            imprint=Imprint.of(conf),
            site=f"{base}/" if base else "",
            articles=[
                {
                    "title": title_of(self.env, docname),
                    "pages": page_span(pages),
                    "url": f"{base}/{docname}.html" if base else "",
                }
                for docname, pages in articles.items()
            ],
        )


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b pdf``: triptych registers its builders."""
    app.setup_extension("triptych")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
