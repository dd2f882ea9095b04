"""The EPUB 3 edition: one XHTML chapter per document, packed by ebooklib.

Sphinx's HTML writer renders each document's body (in parallel where it can);
the chapters are staged beside the doctrees and packed at the end, in
publication order, with a nav document, an NCX, the stylesheet and the
images. The archive is written under a temporary name with fixed timestamps
and renamed when complete, so a failed build never leaves half an EPUB.
"""

from __future__ import annotations

import io
import itertools
import json
import posixpath
import re
import shutil
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.errors import ConfigError
from sphinx.locale import __
from sphinx.util import logging
from sphinx.util.display import progress_message, status_iterator

from triptych import config as triptych_config
from triptych.apparatus.imprint import dc_date, publication_date
from triptych.apparatus.index import INDEX_TITLE, publication_index
from triptych.builders import (
    BookEditionBuilder,
    EditionSummary,
    asset_text,
    unlink_outside,
    write_atomically,
)
from triptych.builders.ebook.backmatter import INDEX_FILE, index_document
from triptych.builders.ebook.package import (
    accessibility_metadata,
    cover_page,
    cover_png,
    cover_svg,
    finish_archive,
    title_page,
)
from triptych.builders.ebook.translator import EbookTranslator
from triptych.builders.screen_html import for_books
from triptych.diagnostics import EpubWriteError, Subtype, warn
from triptych.documents import (
    ContentsEntry,
    TitlePage,
    prepare_for_book,
    publication_contents,
    publication_order,
    title_of,
    walk_contents,
)
from triptych.glossary.domain import glossary_domain
from triptych.safety.directives import readable_root
from triptych.safety.paths import is_within

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator
    from collections.abc import Set as AbstractSet

    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

STYLESHEET = "_static/triptych-epub.css"
MATHML_ELEMENT = re.compile(rb"<math[\s>]")
SVG_ELEMENT = re.compile(rb"<svg[\s>]")
#: The generated cover as a raster image, for reading systems that show no SVG thumbnail.
RASTER_COVER = "_images/cover.png"
#: Beside the staged chapters: the images each chapter uses, for chapters not written again.
IMAGES_RECORD = "images.json"
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class EbookBuilder(BookEditionBuilder):
    """Builds the publication as one EPUB 3 file with ebooklib."""

    name = "ebook"
    format = "html"  # keeps third-party node visitors registered for HTML working
    epilog = __("The EPUB edition is in %(outdir)s.")

    out_suffix = ".xhtml"
    link_suffix = ".xhtml"
    copysource = False
    search = False
    embedded = True
    use_index = False
    add_permalinks = False
    allow_sharp_as_current_path = False
    html_scaled_image_link = False
    download_support = False
    supported_image_types = list(IMAGE_TYPES.values())  # noqa: RUF012
    supported_remote_images = False
    default_translator_class = EbookTranslator

    def __init__(self, app: Sphinx, env: BuildEnvironment) -> None:
        super().__init__(app, env)
        # Chapters are staged beside the doctrees; the output folder gets the .epub only.
        self.staging_dir = Path(self.doctreedir) / "triptych-ebook"
        self.summary: EditionSummary | None = None
        #: The images each chapter written in this build uses, by source path.
        self.images_of: dict[str, dict[str, str]] = {}

    def init(self) -> None:
        super().init()
        # html_file_suffix and html_link_suffix are for the site, not for the package.
        self.out_suffix = self.link_suffix = ".xhtml"

    def prepare_writing(self, docnames: AbstractSet[str]) -> None:
        # Chapters of articles since removed must not reach the package or its metadata.
        for chapter in self.staging_dir.rglob("*" + self.out_suffix):
            if (
                chapter.relative_to(self.staging_dir).as_posix().removesuffix(self.out_suffix)
                not in self.env.found_docs
            ):
                chapter.unlink()
        shutil.rmtree(self.staging_dir / self.imagedir, ignore_errors=True)
        super().prepare_writing(docnames)

    def get_outdated_docs(self) -> list[str]:  # type: ignore[override]
        # The chapters missing; the others are written again when what they are made from
        # changed (triptych.builders.written), and packed again every time.
        return sorted(
            docname
            for docname in self.env.found_docs
            if not (self.staging_dir / (docname + self.out_suffix)).is_file()
        )

    @property
    def epub_path(self) -> Path:
        return Path(self.outdir) / f"{self.config.triptych_slug}.epub"

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        prepare_for_book(doctree, docname, self.config, keep_toctrees=True)
        chapters = set(publication_order(self.env))
        unlink_outside(
            doctree,
            lambda uri: self.in_package(docname, uri, chapters),
            docname,
            # As the PDF names it: a page by its document's name.
            lambda uri: uri.replace(self.out_suffix, "", 1),
        )
        super().write_doc(docname, doctree)

    def in_package(self, docname: str, uri: str, chapters: set[str]) -> bool:
        """Whether a link from *docname* leads into the package: a chapter, or this page."""
        path = uri.partition("#")[0]
        if not path:
            return True
        target = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path))
        return target.removesuffix(self.out_suffix) in chapters

    def handle_page(
        self,
        pagename: str,
        addctx: dict[str, Any],
        templatename: str = "page.html",
        outfilename: Path | None = None,
        event_arg: Any = None,
    ) -> None:
        # Only documents become chapters: no index, search or theme pages in an e-book.
        if pagename not in self.env.all_docs:
            return
        title = title_of(self.env, pagename)
        body = for_books(addctx["body"])
        page = f"<html><head><title>{escape(title)}</title></head><body>{body}</body></html>"
        write_atomically(self.staging_dir / (pagename + self.out_suffix), page.encode())

    def write_doc_serialized(self, docname: str, doctree: nodes.document) -> None:
        super().write_doc_serialized(docname, doctree)
        self.images_of[docname] = {
            source: name
            for source, name in self.images.items()
            if docname in self.env.images.get(source, ((), ""))[0]
        }

    @property
    def images_record(self) -> Path:
        return self.staging_dir / IMAGES_RECORD

    def finish(self) -> None:
        # Chapters written in an earlier build keep their images.
        try:
            kept = json.loads(self.images_record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        recorded = {
            docname: self.images_of.get(docname, kept.get(docname, {}))
            for docname in sorted(self.env.found_docs)
        }
        for images in recorded.values():
            self.images.update(images)
        self.images_of.clear()
        self.copy_image_files()
        self.write_epub()
        write_atomically(self.images_record, json.dumps(recorded, sort_keys=True).encode())

    def write_epub(self) -> None:
        from ebooklib import epub

        book = self.new_book()
        order = publication_order(self.env)
        contents = publication_contents(self.env, order)
        front = self.front_pages(book)
        chapters: dict[str, Any] = {}
        titles = {e.docname: e.label for e in walk_contents(contents) if not e.anchor}
        for docname in status_iterator(
            order, __("packing chapters "), "darkgreen", len(order), self.config.verbosity
        ):
            title = titles.get(docname) or title_of(self.env, docname)
            chapters[docname] = self.chapter(docname, len(chapters), title)
            book.add_item(chapters[docname])
            self.check_chapter(docname, chapters[docname])
        for image in self.packed_images():
            book.add_item(image)
        back = self.back_matter(book)
        nav_ids = itertools.count(1)
        book.toc = [self.nav_entry(entry, nav_ids) for entry in contents]
        book.toc += [epub.Link(page.file_name, page.title, f"nav-{next(nav_ids)}") for page in back]
        if not book.toc:
            # A publication of one document without sections: the nav and the NCX may not be
            # empty, so they list the document itself.
            book.toc = [
                epub.Link(
                    docname + self.out_suffix, chapters[docname].title, f"nav-{next(nav_ids)}"
                )
                for docname in order
            ]
        nav = epub.EpubNav(title="Contents")
        nav.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
        book.add_item(epub.EpubNcx())
        book.add_item(nav)
        book.spine = [*front, nav] + [chapters[docname] for docname in order] + back
        book.guide = self.landmarks(front, order)
        book.guide += [
            {"href": page.file_name, "title": page.title, "type": "index"} for page in back
        ]
        with progress_message(__("writing the EPUB")):
            packed = self.pack(book)
            write_atomically(self.epub_path, packed)
        self.summary = EditionSummary("epub", self.epub_path, len(packed), len(order), "chapters")
        logger.info(self.summary.line())

    def pack(self, book: Any) -> bytes:
        from ebooklib import epub

        options = {
            "mtime": self.build_date(),
            "raise_exceptions": True,
            # ebooklib would list every element with an epub:type and an id as a page.
            "epub3_pages": False,
            "landmark_title": "Landmarks",
        }
        archive = io.BytesIO()
        try:
            epub.write_epub(archive, book, options)
        except Exception as error:
            raise EpubWriteError(f"{type(error).__name__}: {error}") from error
        return finish_archive(archive.getvalue(), self.language, self.build_date())

    @property
    def language(self) -> str:
        return str(self.config.language or "en")

    def build_date(self) -> dt.datetime:
        return triptych_config.build_date()

    def new_book(self) -> Any:
        from ebooklib import epub

        conf = self.config
        book = epub.EpubBook()
        book.set_identifier(triptych_config.publication_identifier(conf))
        book.title = conf.project
        book.add_metadata("DC", "title", conf.project, {"id": "title"})
        book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
        if conf.triptych_subtitle:
            book.add_metadata("DC", "title", conf.triptych_subtitle, {"id": "subtitle"})
            refines = {"refines": "#subtitle", "property": "title-type"}
            book.add_metadata(None, "meta", "subtitle", refines)
        book.set_language(self.language)
        for number, author in enumerate(conf.triptych_authors, start=1):
            book.add_author(author, uid=f"creator-{number}")
        for name, value in (
            ("description", conf.triptych_description),
            ("publisher", conf.triptych_publisher),
            ("rights", conf.triptych_rights),
        ):
            if value:
                book.add_metadata("DC", name, value)
        for subject in conf.triptych_subjects:
            book.add_metadata("DC", "subject", subject)
        book.add_metadata("DC", "date", self.publication_date())
        for prop, value in accessibility_metadata(
            bool(self.images), self.images_described(), conf.project
        ):
            book.add_metadata(None, "meta", value, {"property": prop})
        book.add_item(
            epub.EpubItem(
                uid="stylesheet",
                file_name=STYLESHEET,
                media_type="text/css",
                content=(asset_text("epub.css") + self.highlighter.get_stylesheet()).encode(),
            )
        )
        return book

    def publication_date(self) -> str:
        """``dc:date``: the configured date (``triptych_date``), else the build date."""
        if self.config.triptych_date and publication_date(self.config) is None:
            warn(
                logger, Subtype.UNREADABLE_DATE,
                "triptych_date = %r is not a date triptych can read (such as 24 November 2026 "
                "or 2026-11-24); the EPUB is dated from the build",
                self.config.triptych_date,
                location=triptych_config.config_location(self.confdir, "triptych_date") or None,
            )  # fmt: skip
        return dc_date(self.config)

    def images_described(self) -> bool:
        """Whether every image in the chapters has a text alternative."""
        from lxml import html

        for chapter in self.staging_dir.rglob("*" + self.out_suffix):
            for image in html.parse(str(chapter)).iter("img"):
                if not (image.get("alt") or "").strip():
                    return False
        return True

    def front_pages(self, book: Any) -> list[Any]:
        """The cover and the title page, added to *book*; returned in reading order."""
        from ebooklib import epub

        conf = self.config
        if conf.triptych_epub_cover:
            cover_path = Path(self.srcdir, conf.triptych_epub_cover).resolve()
            if not is_within(cover_path, (readable_root(self.env),)):
                msg = f"triptych_epub_cover = {conf.triptych_epub_cover!r} lies outside the project"
                raise ConfigError(msg)
            image_name = "_images/cover" + cover_path.suffix.lower()
            image = cover_path.read_bytes()
            book.set_cover(image_name, image, create_page=False)
        else:
            # The cover page shows the SVG; reading systems take the PNG for their thumbnails.
            authors = list(conf.triptych_authors)
            image_name = "_images/cover.svg"
            book.add_item(
                epub.EpubItem(
                    uid="cover-svg",
                    file_name=image_name,
                    media_type="image/svg+xml",
                    content=cover_svg(conf.project, conf.triptych_subtitle, authors),
                )
            )
            book.set_cover(
                RASTER_COVER,
                cover_png(conf.project, conf.triptych_subtitle, authors),
                create_page=False,
            )
        description = f"Cover of {conf.project}" + (
            f": {conf.triptych_subtitle}" if conf.triptych_subtitle else ""
        )
        pages = []
        for uid, name, title, body in (
            ("cover", "cover.xhtml", "Cover", cover_page(image_name, description)),
            (
                "titlepage",
                "titlepage.xhtml",
                conf.project,
                title_page(TitlePage.of(conf)),
            ),
        ):
            page = epub.EpubHtml(uid=uid, file_name=name, title=title, lang=self.language)
            page.content = (
                f"<html><head><title>{escape(title)}</title></head><body>{body}</body></html>"
            )
            page.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
            book.add_item(page)
            pages.append(page)
        return pages

    def landmarks(self, front: list[Any], order: list[str]) -> list[dict[str, str]]:
        cover, title = front
        marks = [
            {"href": cover.file_name, "title": "Cover", "type": "cover"},
            {"href": title.file_name, "title": "Title page", "type": "titlepage"},
            {"href": "nav.xhtml", "title": "Contents", "type": "toc"},
        ]
        glossary_docs = glossary_domain(self.env).glossary_docs()
        body = [d for d in order if d != self.config.root_doc and d not in glossary_docs]
        if body:
            marks.append(
                {
                    "href": body[0] + self.out_suffix,
                    "title": "Start of content",
                    "type": "bodymatter",
                }
            )
        marks += [
            {"href": doc + self.out_suffix, "title": "Glossary", "type": "glossary"}
            for doc in order
            if doc in glossary_docs
        ]
        return marks

    def back_matter(self, book: Any) -> list[Any]:
        """The index document, added to *book* when the publication has an index."""
        from ebooklib import epub

        groups = publication_index(self.env)
        if not groups:
            return []
        page = epub.EpubHtml(
            uid="index", file_name=INDEX_FILE, title=INDEX_TITLE, lang=self.language
        )
        body = index_document(self.env, groups, self.out_suffix)
        page.content = f"<html><head><title>{INDEX_TITLE}</title></head><body>{body}</body></html>"
        page.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
        book.add_item(page)
        return [page]

    def chapter(self, docname: str, index: int, title: str) -> Any:
        from ebooklib import epub

        file_name = docname + self.out_suffix
        content = (self.staging_dir / file_name).read_bytes()
        item = epub.EpubHtml(
            uid=f"chapter-{index}",
            file_name=file_name,
            title=title,
            lang=self.language,
            content=content,
        )
        if MATHML_ELEMENT.search(content):
            # EPUB 3 asks every content document with MathML to say so in the package.
            item.properties.append("mathml")
        if SVG_ELEMENT.search(content):
            item.properties.append("svg")
        item.add_link(
            href=posixpath.relpath(STYLESHEET, posixpath.dirname(file_name) or "."),
            rel="stylesheet",
            type="text/css",
        )
        return item

    def check_chapter(self, docname: str, item: Any) -> None:
        """Parse a chapter as ebooklib will, so that a failure names its article."""
        try:
            item.get_content()
        except Exception as error:
            location = self.env.doc2path(docname)
            msg = f"{location}: cannot be packed into the EPUB: {type(error).__name__}: {error}"
            raise EpubWriteError(msg) from error

    def packed_images(self) -> list[Any]:
        from ebooklib import epub

        items = []
        for index, name in enumerate(sorted(self.images.values())):
            path = self.staging_dir / self.imagedir / name
            items.append(
                epub.EpubItem(
                    uid=f"image-{index}",
                    file_name=f"{self.imagedir}/{name}",
                    media_type=IMAGE_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                    content=path.read_bytes(),
                )
            )
        return items

    def nav_entry(self, entry: ContentsEntry, ids: Iterator[int]) -> Any:
        from ebooklib import epub

        if entry.is_part:
            # A part has no page: it opens at its first chapter (the NCX needs a target).
            first = next(e for e in walk_contents(entry.children) if not e.is_part)
            section = epub.Section(entry.label, first.docname + self.out_suffix)
            return (section, [self.nav_entry(child, ids) for child in entry.children])
        href = entry.docname + self.out_suffix + (f"#{entry.anchor}" if entry.anchor else "")
        if not entry.children:
            return epub.Link(href, entry.label, f"nav-{next(ids)}")
        section = epub.Section(entry.label, href)
        return (section, [self.nav_entry(child, ids) for child in entry.children])


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b ebook``: triptych registers its builders."""
    app.setup_extension("triptych")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
