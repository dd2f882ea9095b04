"""The PDF edition: every document merged into one HTML file, laid out by WeasyPrint in-process.

Built on Sphinx's single-file HTML builder, which already writes every
document into one page and resolves references to ``#document-<doc>#<id>``.
The builder merges the doctrees itself (:mod:`.assembly`), renders the print
HTML from a sandboxed template, lays it out (:mod:`.layout`), cuts one PDF
per article from the book, after a cover page (:mod:`.offprints`), and fails on
any problem WeasyPrint logs, naming the article it comes from (:mod:`.locate`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import hashlib
import json
import logging as stdlib_logging
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
from docutils import nodes
from docutils.utils import get_source_line, new_document
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
    PART_CLASS,
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
from triptych.builders.pdf.cache import LayoutCache, images_digest, layout_key
from triptych.builders.pdf.chapters import AssembledChapter, ChapterCache, shared_key
from triptych.builders.pdf.floats import mark_figures, move_figures
from triptych.builders.pdf.fragments import FragmentCache
from triptych.builders.pdf.ids import PART_ANCHOR_PREFIX, authored_uri, chapter_anchor
from triptych.builders.pdf.layout import (
    PrintLayout,
    drop_repeated_pages,
)
from triptych.builders.pdf.locate import ProblemLocator
from triptych.builders.pdf.notes import footnote_pairs, place_footnotes_at_calls
from triptych.builders.pdf.numerals import (
    new_values,
    printed_numbers,
    without_numbers,
    write_numbers,
)
from triptych.builders.pdf.offprints import (
    Book,
    Piece,
    article_pages,
    destination_pages,
    offprint,
    page_span,
)
from triptych.builders.pdf.pagemap import (
    PagesNotSettled,
    estimated_pages,
    moved_numbers,
    slot_targets,
    with_page_numbers,
)
from triptych.builders.pdf.parts import (
    FRONT_PART,
    PartLayout,
    element_ids,
    lay_out_part,
    plan_parts,
    problem_record,
    starting_at,
    with_links_across_parts,
)
from triptych.builders.pdf.stitch import Part, Stitched, stitch_pdfs
from triptych.builders.pdf.translator import PrintTranslator
from triptych.builders.screen_html import for_books
from triptych.builders.written import settings_digest, written_digest
from triptych.diagnostics import PdfRenderError, Subtype, warn
from triptych.documents import (
    TitlePage,
    is_front_matter,
    prepare_for_book,
    publication_order,
    title_of,
)
from triptych.parallel import FailingParallelTasks
from triptych.problems import troubled
from triptych.safety.directives import readable_root

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
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

#: The folder the parts' PDFs are kept in, by key, beside the book's.
PARTS_CACHE_FOLDER = "parts"
#: Beside the kept PDFs: the chapters as assembled, by document (see :mod:`.chapters`).
CHAPTERS_CACHE_FOLDER = "chapters"
#: Beside the kept PDFs: the print HTML of the book's elements, by key (see :mod:`.fragments`).
FRAGMENTS_CACHE_FOLDER = "fragments"

#: Layouts of the book at most: each prints the page numbers of the one before, and may settle
#: page lists and footnotes it moved.
MAX_LAYOUTS = 5

#: Where the article PDFs are kept between builds, each under the key of what it is cut from.
OFFPRINTS_CACHE_FOLDER = "offprints"
#: What an article PDF is cut with: a change to either cuts every one again.
OFFPRINT_CODE = ("offprints.py", "stitch.py")

#: From this many pages, the book is stitched in a process of its own, started afresh: the
#: stitched book's objects (about 0.4 MB a page) then come on top of a bare interpreter,
#: not of the build's environment and chapters. Below, starting it costs more than that.
MIN_STITCHED_APART_PAGES = 300

#: Below this many articles, their PDFs are cut in the build's own process: forking would
#: cost more than it saves.
MIN_PARALLEL_OFFPRINTS = 8


@dataclass(frozen=True)
class PartBody:
    """A part of the book as its print HTML was written: the HTML of its elements."""

    name: str
    front: bool
    characters: int
    html: str
    #: Which elements of the book's body, then back matter, the part holds, in order.
    positions: tuple[int, ...]


@dataclass(frozen=True)
class RenderedBody:
    """The book's print HTML and its parts' pieces of it."""

    html: str
    parts: list[PartBody]


@dataclass(frozen=True)
class BookSource:
    """A PDF the book's pages are cut from: a part as laid out, or the whole book."""

    pdf: bytes
    #: The index (from 0) of its first page in the book.
    first_index: int
    pages: int


@dataclass(frozen=True)
class Cutting:
    """An article PDF to cut: its cover's number, the source of its pages and which."""

    number: int
    docname: str
    #: Its pages in the book, from 1.
    book_pages: range
    source: int
    #: Page indices in the source.
    pages: range
    blank_pages_after: int


@dataclass(frozen=True)
class PartJob:
    """A part of the book to lay out: its print HTML as laid out, and the rules it starts with."""

    name: str
    key: str
    html: str
    keep_rules: list[str]
    characters: int
    #: The page its footers count from.
    first_page: int = 1
    #: The key of what its layout depends on besides its numbers' values (:mod:`.numerals`).
    shape: str = ""


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
        #: Parts laid out in this build, by key: a part laid out again unchanged is taken.
        self.part_layouts: dict[str, PartLayout] = {}
        #: The keys of the parts this build laid out or took: the others kept are removed.
        self.kept_part_keys: set[str] = set()
        #: The key under which each part of the stitched book is kept, and where it begins.
        self.part_keys: list[tuple[str, BookSource]] = []
        #: The parts laid out cleanly, kept beside the doctrees once the book is made.
        self.parts_to_keep: dict[str, PartLayout] = {}
        #: Processes for the parts of the book: the application's ``-j``, noted at builder-inited.
        self.jobs = 1
        #: The book's print HTML as :meth:`render_print_html` last wrote it, element by element.
        self.rendered_body: RenderedBody | None = None
        #: What each page of the book is, by the part it was laid out in: ``digest:page`` of
        #: the part's PDF, or ``blank``; None when not known (an article PDF is then cut anew).
        self.page_sources: list[str] | None = None
        #: The parts the book was stitched from, in order (None when it was kept whole).
        self.book_sources: list[BookSource] | None = None
        #: The book's print HTML and what :meth:`rendered_part_pages` made of it.
        self.rendered_parts: tuple[str, list[PartBody], list[str], list[set[str]]] | None = None
        #: The anchors of each part, and of the book, as the rendered parts have them.
        self.book_ids: tuple[list[set[str]], set[str]] | None = None
        #: The staged images, and the digest of what they hold.
        self.images_read: tuple[list[Path], str] | None = None
        #: Whether this build wrote the article PDFs already (while the book was stitched).
        self.article_pdfs_written = False

    @property
    def part_pages(self) -> int:
        """About how many pages of text each part of the book holds."""
        return int(self.config.triptych_pdf_part_pages)

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
        kept = ChapterCache(self.cache.folder / CHAPTERS_CACHE_FOLDER)
        shared = shared_key(self.env)
        chapters = []
        for docname in status_iterator(
            order, __("assembling "), "darkgreen", len(order), self.config.verbosity
        ):
            written = written_digest(self, docname)
            key = None if written is None else f"{shared}:{written}"
            assembled = None
            if key is not None and docname not in troubled(self.env):
                assembled = kept.get(docname, key)
            if assembled is None:
                assembled = self.assemble_chapter(docname).detached()
                # A chapter that had a problem is assembled again, so the problem is shown again.
                if key is not None and docname not in troubled(self.env):
                    kept.put(docname, key, assembled)
            self.images.update(assembled.images)
            for figtype, numbers in assembled.fignumbers.items():
                self.fignumbers.setdefault(figtype, {}).update(numbers)
            self.secnumbers.update(assembled.secnumbers)
            chapters.append(assembled.chapter)
        kept.keep_only(set(order))
        ids = id_owners(chapters, order)
        for docname, chapter in zip(order, chapters, strict=True):
            unlink_outside(
                chapter,
                lambda uri: uri.startswith("#") and uri[1:] in ids,
                docname,
                lambda uri: authored_uri(uri, self.env.all_docs),
            )
        mark_page_references(chapters, order)
        mark_figures(chapters)
        index = index_chapter(publication_index(self.env))
        self.back_matter = [index] if index is not None else []
        self.chapters, self.order = chapters, order
        # The last build's pages: its page lists are the likeliest to hold.
        self.settle_page_lists(self.saved_pages())
        with progress_message(__("writing the print HTML")):
            self.print_html = self.render_print_html(chapters, order)

    def assemble_chapter(self, docname: str) -> AssembledChapter:
        doctree = self.env.get_doctree(docname)
        self.env.resolve_references(doctree, docname, self)
        prepare_for_book(doctree, docname, self.config, keep_toctrees=False)
        # The images of this chapter alone, so that a kept chapter brings its own back.
        book_images, self.images = self.images, {}
        try:
            self.post_process_images(doctree)
            images = self.images
        finally:
            self.images = book_images
        chapter = chapter_of(
            doctree, docname, self.env, front_matter=is_front_matter(self.config, docname)
        )
        place_footnotes_at_calls(chapter)
        anchor_index_targets(chapter)
        fignumbers, secnumbers = chapter_numbers(self.env, docname, doctree)
        return AssembledChapter(chapter, images, fignumbers, secnumbers)

    def render_print_html(self, chapters: list[nodes.container], order: list[str]) -> str:
        """The book's print HTML as one document (kept to be looked at, and the book's key).

        The HTML of each part's elements is kept too (:attr:`rendered_body`): the parts'
        print HTML is made of it, not written again. Each element's HTML is kept between
        builds as well (:mod:`.fragments`): an edit writes the chapters it changed.
        """
        body: list[nodes.Element] = [*book_body(self.env, chapters, order)]
        back_matter: list[nodes.Element] = list(self.back_matter)
        elements = [*body, *back_matter]
        fragments = FragmentCache(self.cache.folder / FRAGMENTS_CACHE_FOLDER).written(
            elements, self.fragment_contexts(elements, chapters, order), self.written_copies
        )
        html = self.print_page("".join(fragments), order, front=True)
        position = {id(element): number for number, element in enumerate(elements)}
        plans = plan_parts(
            body, back_matter, self.part_pages,
            lambda element: PART_CLASS in element["classes"],
        )  # fmt: skip
        parts = []
        for plan in plans:
            positions = tuple(position[id(element)] for element in plan.elements)
            written = "".join(fragments[number] for number in positions)
            parts.append(PartBody(plan.name, plan.front, plan.characters, written, positions))
        self.rendered_body = RenderedBody(html, parts)
        return html

    def fragment_contexts(
        self, elements: list[nodes.Element], chapters: list[nodes.container], order: list[str]
    ) -> list[str | None]:
        """What each element's print HTML depends on besides its nodes (see :mod:`.fragments`):
        None for a chapter whose document's numbers are not known."""
        common = f"{settings_digest(self)}:{shared_key(self.env)}"
        documents = {id(chapter): docname for docname, chapter in zip(order, chapters, strict=True)}
        contexts: list[str | None] = []
        for element in elements:
            inner = element.children[0] if element.children else None
            docname = documents.get(id(inner))
            if docname is None:
                contexts.append(common)
                continue
            written = written_digest(self, docname)
            contexts.append(None if written is None else f"{common}:{written}")
        return contexts

    def written_copies(self, elements: list[nodes.Element]) -> list[str]:
        """The print HTML of *elements*, written from copies: the writer adds to what it walks
        (admonition titles), and a copy written goes once written."""
        return self.written_elements([element.deepcopy() for element in elements])

    def written_elements(self, elements: list[nodes.Element]) -> list[str]:
        """The print HTML of each of *elements*, written in one document, one after another."""
        document = new_document(str(self.env.doc2path(self.config.root_doc)), self.docsettings)
        document.extend(elements)
        self.current_docname = self.config.root_doc
        visitor = self.create_translator(document, self)
        written: list[str] = []
        # As document.walkabout(visitor) does, noting where each element's HTML ends.
        visitor.dispatch_visit(document)
        for element in list(document.children):
            start = len(visitor.body)  # type: ignore[attr-defined]
            element.walkabout(visitor)
            written.append(for_books("".join(visitor.body[start:])))  # type: ignore[attr-defined]
        visitor.dispatch_departure(document)
        return written

    def print_page(self, body: str, order: list[str], *, front: bool) -> str:
        """The print HTML page of *body*, after the title page and contents if *front*."""
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
            front=front,
            contents=print_contents(self.env, order) + self.back_matter_contents() if front else [],
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
        self.article_pdfs_written = False
        self.write_pdf()
        if not self.article_pdfs_written:
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

    def saved_pages(self) -> dict[str, int]:
        """The pages the last book printed, by target."""
        try:
            saved = json.loads(self.page_map_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(saved, dict):
            return {}
        return {
            str(target): page
            for target, page in saved.items()
            if isinstance(page, int) and not isinstance(page, bool)
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
        # Read once a build: the images are staged before the first layout and stay.
        if self.images_read is None or self.images_read[0] != images:
            self.images_read = (images, images_digest(images))
        return layout_key(html, layout.settings, self.images_read[1])

    def book_key(self, layout: PrintLayout) -> str:
        return self.layout_key(layout, f"{self.print_html}\0parts of {self.part_pages} pages")

    def write_pdf(self) -> None:
        layout = self.layout()
        kept = self.cache.get(BOOK_CACHE_NAME, self.book_key(layout))
        if kept is not None:
            # The same print HTML with the same settings: the book it gave is the book.
            pdf, pages = kept.pdf, kept.pages
            sources = kept.details.get("page_sources")
            self.page_sources = (
                [str(source) for source in sources]
                if isinstance(sources, list) and len(sources) == pages
                else None
            )
            self.book_sources = self.kept_book_sources(kept.details.get("parts"))
        else:
            with progress_message(__("laying out the PDF")):
                pdf, pages = self.settled_layout(layout)
            self.locator().report(self.layout_problems)
            write_atomically(
                self.page_map_path, json.dumps(self.printed_pages, sort_keys=True).encode()
            )
            # Kept once the book is made: a build that fails leaves no PDF behind.
            for part_key, part in sorted(self.parts_to_keep.items()):
                name = f"{PARTS_CACHE_FOLDER}/{part_key}"
                self.cache.put(name, part_key, part.pdf, part.pages, part.details())
            self.cache.keep_only(PARTS_CACHE_FOLDER, self.kept_part_keys)
            if not (self.layout_messages or self.separated_notes):
                # Under the print HTML the book ended with: the next build, its page lists
                # settled from this book's pages, writes the same.
                details = {
                    "page_sources": self.page_sources,
                    "parts": [[key, source.first_index] for key, source in self.part_keys],
                }
                self.cache.put(BOOK_CACHE_NAME, self.book_key(layout), pdf, pages, details)
        write_atomically(self.pdf_path, pdf)
        self.summary = EditionSummary("pdf", self.pdf_path, len(pdf), pages, "pages")
        logger.info(self.summary.line())

    @property
    def parts_path(self) -> Path:
        """Where each part of the last book began, and the footnote rules it was laid out with."""
        return self.staging_dir / "parts.json"

    def previous_part_layouts(
        self, previous: dict[str, tuple[int, list[str]]]
    ) -> dict[str, tuple[str, str, PartLayout | None]]:
        """Each part of the last book by name: the shape and key it was kept under."""
        try:
            saved = json.loads(self.parts_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        noted: dict[str, tuple[str, str, PartLayout | None]] = {}
        for name in previous:
            part = saved.get(name, {})
            shape, key = part.get("shape"), part.get("key")
            if isinstance(shape, str) and isinstance(key, str):
                noted[name] = (shape, key, None)
        return noted

    def renumbered(self, job: PartJob) -> PartLayout | None:
        """The part as laid out before with other numbers, its own written in their place
        (:mod:`.numerals`); None when it was not laid out so, or they do not fit."""
        noted = self.renumberable.get(job.name)
        if noted is None or noted[0] != job.shape:
            return None
        shape, key, result = noted
        if result is None:
            result = self.kept_part(dataclasses.replace(job, key=key))
        if result is None or not result.numerals.complete:
            return None
        # What the job prints: the part's HTML holds the numbers it was given.
        values = new_values(result.numerals, job.html, job.first_page)
        written = None if values is None else write_numbers(result.pdf, result.numerals, values)
        if written is None:
            return None
        pdf, numerals = written
        renumbered = dataclasses.replace(
            result, name=job.name, key=job.key, pdf=pdf, numerals=numerals,
            given_rules=list(job.keep_rules),
        )  # fmt: skip
        self.keep_part(job.key, renumbered)
        self.renumberable[job.name] = (shape, job.key, renumbered)
        return renumbered

    def previous_parts(self) -> dict[str, tuple[int, list[str]]]:
        try:
            saved = json.loads(self.parts_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(saved, dict):
            return {}
        parts = {}
        for name, part in saved.items():
            if not isinstance(part, dict):
                continue
            first, rules = part.get("first_page"), part.get("keep_rules")
            if isinstance(first, int) and isinstance(rules, list):
                parts[str(name)] = (first, [str(rule) for rule in rules])
        return parts

    def settled_layout(self, layout: PrintLayout) -> tuple[bytes, int]:
        """The book laid out in parts until what depends on its pages holds, stitched.

        Each round lays out the parts whose print HTML changed: the page numbers the round
        before laid out, the page each part starts on, the figures moved below a gap (after the
        first round only), the glossary's and the index's page lists; a part keeps its
        footnotes with their calls as it is laid out. The book is done when a round changes
        none of them. Page numbers that still move after :data:`MAX_LAYOUTS` fail the build.
        """
        targets = slot_targets(self.print_html)
        # The last build's pages, or else a guess: either prints numbers as wide as the true ones.
        saved = self.saved_pages()
        guessed = self.first_guess(targets, saved)
        self.printed_pages = {target: guessed[target] for target in targets if target in guessed}
        self.layout_messages: set[str] = set()
        self.layout_problems: list[stdlib_logging.LogRecord] = []
        pairs = footnote_pairs(self.chapters)
        previous = self.previous_parts()
        # Where each part began in the last book, or else where the guess puts its first anchor.
        first_pages = self.guessed_first_pages(guessed) | {
            name: first for name, (first, _rules) in previous.items()
        }
        keep_rules = {name: rules for name, (_first, rules) in previous.items()}
        right_hand = self.config.triptych_chapter_start == "right"
        # A guess is seldom the page; the numbers a part printed are written over with the
        # true ones wherever they are as wide (numerals.py), from this build's layouts or
        # the last build's.
        self.renumberable: dict[str, tuple[str, str, PartLayout | None]] = (
            self.previous_part_layouts(previous)
        )
        layouts = 0
        while True:
            layouts += 1
            jobs = self.part_jobs(layout, first_pages, keep_rules)
            results, jobs = self.lay_out_parts(layout, jobs, pairs)
            for result in results:
                self.keep_part_problems(result)
                keep_rules[result.name] = result.keep_rules
            first_pages, blanks = part_starts(results, right_hand)
            pages: dict[str, int] = {}
            for result in results:
                for anchor, local in result.anchors.items():
                    pages.setdefault(anchor, first_pages[result.name] + local - 1)
            moved = moved_in_parts(jobs, first_pages, pages)
            logger.verbose(
                "layout %d: %d printed page numbers and part starts moved", layouts, len(moved)
            )
            html_changed = layouts == 1 and move_figures(
                self.chapters,
                {number: count for result in results for number, count in result.holes.items()},
            )
            html_changed |= self.settle_page_lists(pages)
            if not (moved or html_changed):
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
        # What was laid out last, numbers included, is kept to be looked at.
        self.write_print_html()
        logger.verbose("the PDF was laid out %d times, in %d parts", layouts, len(results))
        parts = [Part(result.pdf, blanks[result.name], result.outline_levels) for result in results]
        self.note_book_sources(results, blanks)
        if sum(result.pages for result in results) >= MIN_STITCHED_APART_PAGES:
            # The article PDFs are cut from the parts, not the book: while another process
            # stitches the book.
            stitched = stitched_apart(parts, meanwhile=self.write_article_pdfs)
        else:
            stitched = stitch_pdfs(parts)
        # A name a part links to and no part laid out: WeasyPrint's own report, had the book
        # been one document.
        self.layout_problems.extend(
            problem_record(stdlib_logging.ERROR, f"No anchor #{name} for internal URI reference")
            for name in stitched.unresolved
        )
        self.note_parts(results, first_pages)
        return stitched.pdf, stitched.pages

    def guessed_first_pages(self, guessed: dict[str, int]) -> dict[str, int]:
        """The page each part begins on, as the guess at its anchors' pages has it."""
        plans, _pages, ids = self.rendered_part_pages()
        firsts = {}
        for plan, own_ids in zip(plans, ids, strict=True):
            if pages := [guessed[anchor] for anchor in own_ids if anchor in guessed]:
                firsts[plan.name] = min(pages)
        return firsts

    def footnote_location(
        self, note_id: str, owner: str | None
    ) -> nodes.Element | tuple[str, None] | None:
        """The line of the call of the footnote *note_id* (an id of the merged document).

        In print the footnote's text stands at its call (``notes``), in the calling
        paragraph, whose line it takes. Without one, the document stands in: Sphinx
        finds its file from its name.
        """
        for chapter in self.chapters:
            for node in chapter.findall(nodes.Element):
                if note_id in node.get("ids", ()) and get_source_line(node)[1]:
                    return node
        return (owner, None) if owner else None

    def first_guess(self, targets: Iterable[str], saved: dict[str, int]) -> dict[str, int]:
        """The pages the last book printed, or a guess where it had no such target: either
        prints numbers as wide as the true ones. The guess reads the whole print HTML."""
        if all(target in saved for target in targets):
            return saved
        return estimated_pages(self.print_html) | saved

    def note_parts(self, results: list[PartLayout], first_pages: dict[str, int]) -> None:
        """Keep where each part began and its footnote rules; warn of footnotes printed late."""
        write_atomically(
            self.parts_path,
            json.dumps(
                {
                    result.name: {"first_page": first_pages[result.name],
                                  "keep_rules": result.keep_rules,
                                  "shape": self.renumberable[result.name][0],
                                  "key": self.renumberable[result.name][1]}
                    for result in results
                },
                sort_keys=True,
            ).encode(),
        )  # fmt: skip
        self.separated_notes = [
            (first_pages[result.name] + local - 1, note)
            for result in results
            for local, note in result.separated
        ]
        owners = id_owners(self.chapters, self.order) if self.separated_notes else {}
        for page, note in self.separated_notes:
            warn(
                logger, Subtype.FOOTNOTE_PAGE,
                "a footnote called on page %d is printed on a later page", page,
                location=self.footnote_location(note, owners.get(note)),
            )  # fmt: skip

    def note_book_sources(self, results: list[PartLayout], blanks: dict[str, int]) -> None:
        """Note what each page of the stitched book is, and the parts it was stitched from."""
        self.page_sources = []
        self.part_keys = []
        for result in results:
            digest = hashlib.sha256(result.pdf).hexdigest()
            self.page_sources += ["blank"] * blanks[result.name]
            source = BookSource(result.pdf, len(self.page_sources), result.pages)
            self.part_keys.append((result.key, source))
            self.page_sources += [f"{digest}:{page}" for page in range(result.pages)]
        self.book_sources = [source for _key, source in self.part_keys]

    def part_jobs(
        self,
        layout: PrintLayout,
        first_pages: dict[str, int],
        keep_rules: dict[str, list[str]],
    ) -> list[PartJob]:
        """The parts of the book as they are laid out: page numbers, links and footers set."""
        plans, _pages, _ids = self.rendered_part_pages()
        jobs = []
        for index, plan in enumerate(plans):
            first_page, rules = first_pages.get(plan.name, 1), keep_rules.get(plan.name, [])
            jobs.append(self.part_job(layout, index, self.printed_pages, first_page, rules))
        return jobs

    def part_job(
        self,
        layout: PrintLayout,
        index: int,
        numbers: Mapping[str, int],
        first_page: int,
        rules: list[str],
    ) -> PartJob:
        """The part *index* as laid out printing *numbers*, its footers from *first_page*."""
        plans, pages, ids = self.rendered_part_pages()
        if self.book_ids is None or self.book_ids[0] is not ids:
            self.book_ids = (ids, set().union(*ids))
        html = with_links_across_parts(
            with_page_numbers(pages[index], numbers), ids[index], self.book_ids[1]
        )
        html = starting_at(html, first_page)
        key = self.layout_key(layout, html + "\0" + "\n".join(rules))
        shape = self.layout_key(layout, without_numbers(html, rules))
        return PartJob(
            plans[index].name, key, html, rules, plans[index].characters, first_page, shape
        )

    def refreshed_job(
        self,
        layout: PrintLayout,
        job: PartJob,
        jobs: list[PartJob],
        found: Mapping[str, PartLayout],
    ) -> PartJob:
        """*job* printing what the parts laid out so far tell of the pages.

        Parts are laid out in the book's order: where every part before this one is laid
        out, it starts on a known page, and so does every anchor of theirs. The guess at
        the rest is moved by as much as the guess at this part's first page was wrong,
        so that a number printed from a guess has, nearly always, as many figures as the
        true one (:mod:`.numerals` then writes the true one in its place).
        """
        names = [other.name for other in jobs]
        laid: list[PartLayout] = []
        for name in names:
            if name not in found:
                break
            laid.append(found[name])
        if not laid:
            return job
        starts, _blanks = part_starts(laid, self.config.triptych_chapter_start == "right")
        following = names[len(laid)]
        first = starts[laid[-1].name] + laid[-1].pages
        if self.config.triptych_chapter_start == "right" and first % 2 == 0:
            first += 1
        planned = {other.name: other.first_page for other in jobs}
        shift = first - planned[following]
        known: dict[str, int] = {}
        for name, result in found.items():
            start = starts.get(name, planned[name] + shift)
            for anchor, local in result.anchors.items():
                known.setdefault(anchor, start + local - 1)
        numbers = {
            target: known.get(target, page + shift) for target, page in self.printed_pages.items()
        }
        index = names.index(job.name)
        first_page = first if job.name == following else job.first_page + shift
        return self.part_job(layout, index, numbers, first_page, job.keep_rules)

    def rendered_part_pages(self) -> tuple[list[PartBody], list[str], list[set[str]]]:
        """The parts, their print HTML without page numbers, and their anchors.

        Each part's HTML is the book's, element by element, as :meth:`render_print_html`
        wrote it; made again only when the book's print HTML was.
        """
        if self.rendered_parts is None or self.rendered_parts[0] != self.print_html:
            # The print HTML is only ever made by render_print_html, which keeps its pieces.
            rendered = self.rendered_body
            assert rendered is not None and rendered.html == self.print_html
            pages = [
                self.print_page(part.html, self.order, front=part.front) for part in rendered.parts
            ]
            self.rendered_parts = (
                self.print_html,
                rendered.parts,
                pages,
                [element_ids(page) for page in pages],
            )
        _html, parts, pages, ids = self.rendered_parts
        return parts, pages, ids

    def lay_out_parts(
        self, layout: PrintLayout, jobs: list[PartJob], pairs: list[tuple[str, str]]
    ) -> tuple[list[PartLayout], list[PartJob]]:
        """Each part laid out, or taken from this build or the last, in the parts' order;
        and the jobs they were laid out from (see :meth:`refreshed_job`)."""
        found = {job.name: result for job in jobs if (result := self.found_part(job))}
        used = {job.name: job for job in jobs}
        pending = [job for job in jobs if job.name not in found]
        logger.verbose("laying out %d of the %d parts of the PDF", len(pending), len(jobs))

        def collect(job: PartJob, result: PartLayout) -> None:
            if result.error:
                raise PdfRenderError(result.error)
            found[result.name] = result
            self.keep_part(result.key, result)
            if result.keep_rules != job.keep_rules:
                # The same layout as the part's HTML gives with the rules it ended with: the
                # next round, or the next build, starts from those.
                rules = "\n".join(result.keep_rules)
                self.keep_part(self.layout_key(layout, f"{job.html}\0{rules}"), result)

        # A part starts from the parts at least `lag` before it, whichever others are done
        # by then: so the numbers it prints, and so the book's bytes, do not depend on which
        # process finished first, nor on -j up to 2.
        lag = max(2, self.jobs)
        index_of = {job.name: index for index, job in enumerate(jobs)}
        found_first = set(found)

        def before(job: PartJob) -> list[str]:
            return [name for name, index in index_of.items() if index <= index_of[job.name] - lag]

        def next_job(job: PartJob) -> PartJob:
            earlier = set(before(job)) | found_first
            visible = {name: result for name, result in found.items() if name in earlier}
            fresh = self.refreshed_job(layout, job, jobs, visible)
            if fresh.key != job.key and (result := self.found_part(fresh)):
                found[job.name] = result
            used[job.name] = fresh
            return fresh

        if self.parallel_ok and self.jobs > 1 and len(pending) > 1:
            with frozen_heap():
                tasks = FailingParallelTasks(min(self.jobs, len(pending)))
                for job in pending:
                    # Started once a process is free: from what the parts before it told.
                    names = before(job)

                    def ready(names: list[str] = names) -> bool:
                        return all(name in found for name in names)

                    tasks.wait_until(ready)
                    fresh = next_job(job)
                    if fresh.name in found:
                        continue
                    tasks.add_task(lambda job: self.part_layout(layout, job, pairs), fresh, collect)
                tasks.join()
        else:
            for index, job in enumerate(pending):
                fresh = next_job(job)
                if fresh.name not in found:
                    collect(fresh, self.part_layout(layout, fresh, pairs))
                if index < len(pending) - 1:
                    # The laid-out document's cycles freed before the next is laid out; after
                    # the last, finish() frees them.
                    gc.collect()
            return_freed_memory()
        for job in jobs:
            # As laid out: its numbers may be written over, this build or the next. The job's
            # shape holds unless the layout ended with other footnote rules.
            result, laid = found[job.name], used[job.name]
            shape = (
                laid.shape
                if result.keep_rules == laid.keep_rules
                else self.layout_key(layout, without_numbers(laid.html, result.keep_rules))
            )
            self.renumberable[job.name] = (shape, laid.key, result)
        return [found[job.name] for job in jobs], [used[job.name] for job in jobs]

    def found_part(self, job: PartJob) -> PartLayout | None:
        """The part *job* lays out, as this build or the last laid it out, or renumbered."""
        result = self.part_layouts.get(job.key) or self.kept_part(job) or self.renumbered(job)
        if result is not None and result.name != job.name:
            result = dataclasses.replace(result, name=job.name)
        return result

    def part_layout(
        self, layout: PrintLayout, job: PartJob, pairs: list[tuple[str, str]]
    ) -> PartLayout:
        try:
            return lay_out_part(
                layout, name=job.name, key=job.key, html=job.html, keep_rules=job.keep_rules,
                pairs=pairs, max_layouts=MAX_LAYOUTS, first_page=job.first_page,
            )  # fmt: skip
        except PdfRenderError as error:
            message = f"{error.location}: {error}".lstrip(": ")
            return PartLayout(job.name, job.key, b"", 0, {}, [], {}, [], [], [], [], error=message)

    def kept_part(self, job: PartJob) -> PartLayout | None:
        kept = self.cache.get(f"{PARTS_CACHE_FOLDER}/{job.key}", job.key)
        if kept is None:
            return None
        try:
            result = PartLayout.kept(job.name, job.key, kept.pdf, kept.pages, kept.details)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        self.part_layouts[job.key] = result
        # Still the part: kept for the next build, like those laid out now.
        self.kept_part_keys.add(job.key)
        return result

    def keep_part(self, key: str, result: PartLayout) -> None:
        """Note a part laid out, and keep it for the next build when it reported nothing."""
        self.part_layouts[key] = result
        self.kept_part_keys.add(key)
        if not result.problems:
            self.parts_to_keep[key] = result

    def keep_part_problems(self, result: PartLayout) -> None:
        """Keep what WeasyPrint logged for a part that no layout of this book logged before."""
        for record in result.problem_records():
            if (message := record.getMessage()) not in self.layout_messages:
                self.layout_messages.add(message)
                self.layout_problems.append(record)

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

    def kept_book_sources(self, parts: object) -> list[BookSource] | None:
        """The parts a kept book was stitched from, as kept beside it, if all still are."""
        if not isinstance(parts, list):
            return None
        sources = []
        for entry in parts:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int)):
                return None
            key, first_index = str(entry[0]), entry[1]
            kept = self.cache.get(f"{PARTS_CACHE_FOLDER}/{key}", key)
            if kept is None:
                return None
            sources.append(BookSource(kept.pdf, first_index, kept.pages))
        return sources

    def write_article_pdfs(self) -> None:
        """One PDF per article: a cover page, then the book's pages of that article.

        The pages are cut from the parts the book was stitched from, one part at a time, so
        the memory it takes is a part's. An article PDF cut from the same pages of the same
        parts, after the same cover, is the one the last build cut: it is taken from the kept
        ones, not cut again.
        """
        self.article_pdfs_written = True
        # Articles removed or renamed since the last build must not linger.
        shutil.rmtree(self.articles_dir, ignore_errors=True)
        if not self.config.triptych_article_pdfs:
            return
        # The book itself when its parts are not at hand: its own pages, cut the same way.
        given = self.book_sources or [BookSource(self.pdf_path.read_bytes(), 0, 0)]
        sources: list[BookSource] = []
        pages: dict[str, int] = {}
        page_count = 0
        for source in given:
            found, count = destination_pages(source.pdf)
            sources.append(dataclasses.replace(source, pages=count))
            for name, page in found.items():
                pages.setdefault(name, page + source.first_index)
            page_count = max(page_count, source.first_index + count)
        if self.page_sources is not None:
            page_count = max(page_count, len(self.page_sources))
        starts = [chapter_anchor(docname) for docname in self.order]
        starts += [name for name in pages if name.startswith(PART_ANCHOR_PREFIX)]
        starts += [anchor for matter in self.back_matter for anchor in matter["ids"]]
        articles = {
            docname: article_pages(pages, starts, chapter_anchor(docname), page_count)
            for docname in self.order
            if not is_front_matter(self.config, docname) and chapter_anchor(docname) in pages
        }
        if articles:
            covers_pdf = self.cover_pdf(articles)
            keys = self.offprint_keys(articles, covers_pdf, page_count)
            cuttings = [
                cutting(number, docname, book_pages, sources)
                for number, (docname, book_pages) in enumerate(articles.items())
                if not self.kept_offprint(docname, keys.get(docname))
            ]
            if cuttings:
                self.write_offprints(sources, covers_pdf, cuttings, keys)
            logger.verbose("cut %d of the %d article PDFs", len(cuttings), len(articles))
            self.cache.keep_only(
                OFFPRINTS_CACHE_FOLDER, {offprint_name(docname) for docname in keys}
            )
        logger.info("pdf   %s  %d article PDFs", self.articles_dir, len(articles))

    def offprint_keys(
        self, articles: dict[str, range], covers_pdf: bytes, page_count: int
    ) -> dict[str, str]:
        """The key of each article PDF: what it is cut from and how (none when not known)."""
        if self.page_sources is None or len(self.page_sources) != page_count:
            return {}
        code = hashlib.sha256()
        for name in OFFPRINT_CODE:
            code.update((Path(__file__).parent / name).read_bytes())
        owners = id_owners(self.chapters, self.order)
        common = json.dumps(
            [
                code.hexdigest(),
                pikepdf_version(),
                hashlib.sha256(covers_pdf).hexdigest(),
                TitlePage.of(self.config).title,
                str(self.config.html_baseurl or ""),
                # Where each link leaving an article goes on the site.
                hashlib.sha256(json.dumps(owners, sort_keys=True).encode()).hexdigest(),
            ]
        )
        keys = {}
        for number, (docname, pages) in enumerate(articles.items()):
            described = [
                common, number, docname, title_of(self.env, docname), pages.start, pages.stop,
                self.page_sources[pages.start - 1 : pages.stop - 1],
            ]  # fmt: skip
            keys[docname] = hashlib.sha256(json.dumps(described).encode()).hexdigest()
        return keys

    def kept_offprint(self, docname: str, key: str | None) -> bool:
        """Whether the article PDF kept under *key* was published (then it needs no cutting)."""
        if key is None:
            return False
        kept = self.cache.get(f"{OFFPRINTS_CACHE_FOLDER}/{offprint_name(docname)}", key)
        if kept is None:
            return False
        write_atomically(self.articles_dir / f"{docname}.pdf", kept.pdf)
        return True

    def write_offprints(
        self,
        sources: list[BookSource],
        covers_pdf: bytes,
        cuttings: list[Cutting],
        keys: dict[str, str],
    ) -> None:
        """The article PDFs of *cuttings*; with ``-j``, shared out among forked processes, each
        cutting a run of articles."""
        if self.parallel_ok and self.jobs > 1 and len(cuttings) >= MIN_PARALLEL_OFFPRINTS:
            share = -(-len(cuttings) // self.jobs)
            runs = [cuttings[start : start + share] for start in range(0, len(cuttings), share)]
            with progress_message(__("writing article PDFs")), frozen_heap():
                tasks = FailingParallelTasks(len(runs))
                for run in runs:
                    tasks.add_task(
                        lambda run: self.write_offprint_run(sources, covers_pdf, run, keys), run
                    )
                tasks.join()
            return
        self.write_offprint_run(
            sources,
            covers_pdf,
            status_iterator(
                cuttings, __("writing article PDFs "), "darkgreen", len(cuttings),
                self.config.verbosity, stringify_func=lambda cutting: cutting.docname,
            ),
            keys,
        )  # fmt: skip

    def write_offprint_run(
        self,
        sources: list[BookSource],
        covers_pdf: bytes,
        cuttings: Iterable[Cutting],
        keys: dict[str, str],
    ) -> None:
        """Cut *cuttings*, in the book's order: each source is opened once, then let go."""
        owners = id_owners(self.chapters, self.order)
        base = str(self.config.html_baseurl or "").rstrip("/")
        publication = TitlePage.of(self.config).title
        opened: tuple[int, Book] | None = None
        with Book(covers_pdf) as covers:
            try:
                for cut in cuttings:
                    if opened is None or opened[0] != cut.source:
                        if opened is not None:
                            opened[1].pdf.close()
                        opened = (cut.source, Book(sources[cut.source].pdf))
                    cover = Piece(covers, range(cut.number, cut.number + 1))
                    chapter = Piece(
                        opened[1],
                        cut.pages,
                        lambda name: site_address(base, owners, name),
                        blank_pages_after=cut.blank_pages_after,
                    )
                    title = f"{title_of(self.env, cut.docname)} · {publication}"
                    pdf = offprint([cover, chapter], title, cut.book_pages.start)
                    write_atomically(self.articles_dir / f"{cut.docname}.pdf", pdf)
                    if cut.docname in keys:
                        name = f"{OFFPRINTS_CACHE_FOLDER}/{offprint_name(cut.docname)}"
                        self.cache.put(name, keys[cut.docname], pdf, len(cut.book_pages) + 1)
            finally:
                if opened is not None:
                    opened[1].pdf.close()

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


def cutting(number: int, docname: str, book_pages: range, sources: list[BookSource]) -> Cutting:
    """Where the pages *book_pages* of the book (from 1) are in *sources*.

    A chapter lies in one part; the blank pages the book puts after it, before the next
    part, are in none.
    """
    first = book_pages.start - 1
    for number_of_source, source in enumerate(sources):
        if source.first_index <= first < source.first_index + source.pages:
            end = min(book_pages.stop - 1, source.first_index + source.pages)
            return Cutting(
                number, docname, book_pages, number_of_source,
                range(first - source.first_index, end - source.first_index),
                book_pages.stop - 1 - end,
            )  # fmt: skip
    raise ValueError(f"page {book_pages.start} is in no part of the book")


def stitched_apart(parts: list[Part], meanwhile: Callable[[], None]) -> Stitched:
    """:func:`stitch_pdfs` of *parts*, in a new interpreter (``spawn``), not a fork: a fork
    would start from the build's whole memory. This process does *meanwhile* as it waits."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        stitching = pool.submit(stitch_pdfs, parts)
        meanwhile()
        return stitching.result()


def offprint_name(docname: str) -> str:
    """The name the article PDF of *docname* is kept under in its folder (a docname's folders
    would make folders of their own)."""
    return hashlib.sha256(docname.encode()).hexdigest()[:32]


def pikepdf_version() -> str:
    """The version of pikepdf, and so of qpdf, that writes the article PDFs."""
    return f"{pikepdf.__version__} {pikepdf.__libqpdf_version__}"


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Forked workers that leave the build's objects to the garbage collector's permanent
    generation: a worker's collections would otherwise walk every object of the build it
    was forked from (the environment, every chapter), touching and so copying their pages.
    What the build freed is given back first, so workers do not start with it.
    """
    gc.collect()
    return_freed_memory()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def return_freed_memory() -> None:
    """Give the memory the C library holds free back to the system (glibc's ``malloc_trim``).

    A stitched book frees hundreds of megabytes that glibc keeps for later: a process
    forked after would count them as its own resident memory.
    """
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return  # not glibc: nothing kept to give back this way
    trim(0)


def moved_in_parts(
    jobs: list[PartJob], first_pages: Mapping[str, int], pages: Mapping[str, int]
) -> dict[str, tuple[str, int]]:
    """The numbers each part printed that are not the pages laid out, and the parts laid
    out from another page than they start on (their footers are wrong)."""
    moved: dict[str, tuple[str, int]] = {}
    for job in jobs:
        printed = printed_numbers(job.html)
        moved.update(moved_numbers(set(printed), printed, pages))
        if job.first_page != first_pages[job.name]:
            moved[f"{job.name} (its first page)"] = (str(job.first_page), first_pages[job.name])
    return moved


def part_starts(
    results: list[PartLayout], right_hand: bool
) -> tuple[dict[str, int], dict[str, int]]:
    """The page each part starts on, and the blank pages before it.

    With chapters starting on right-hand pages, a part after the front matter that would start
    on a left-hand (even) page gets a blank page before it, as one layout would have given.
    """
    starts, blanks = {}, {}
    page = 1
    for result in results:
        blank = int(right_hand and result.name != FRONT_PART and page % 2 == 0)
        page += blank
        starts[result.name], blanks[result.name] = page, blank
        page += result.pages
    return starts, blanks


def note_parallel_jobs(app: Sphinx) -> None:
    """The PDF builder lays out the parts of the book in the application's ``-j`` processes."""
    if isinstance(app.builder, PdfBuilder):
        app.builder.jobs = app.parallel


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b pdf``: triptych registers its builders."""
    app.setup_extension("triptych")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
