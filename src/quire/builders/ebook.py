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
import posixpath
import zipfile
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.locale import __
from sphinx.util import logging
from sphinx.util.display import progress_message, status_iterator
from sphinx.writers.html5 import HTML5Translator

from quire import config as quire_config
from quire.builders import EditionSummary, asset_text, write_atomically
from quire.diagnostics import EpubWriteError
from quire.documents import ContentsEntry, document_contents, publication_order

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

STYLESHEET = "_static/quire-epub.css"
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def _in_glossary(node: nodes.Element) -> bool:
    items = node.parent
    glossary = items.parent if items is not None else None
    return isinstance(glossary, nodes.definition_list) and "glossary" in glossary["classes"]


class EbookTranslator(HTML5Translator):
    """HTML with the EPUB structural semantics reading systems use for a glossary."""

    def _semantic_tag(self, node: nodes.Element, tag: str, epub_type: str, suffix: str) -> None:
        attributes: dict[str, Any] = {"epub:type": epub_type}
        self.body.append(self.starttag(node, tag, suffix, **attributes))

    def visit_definition_list(self, node: nodes.definition_list) -> None:
        if "glossary" in node["classes"]:
            self._semantic_tag(node, "dl", "glossary", "\n")
        else:
            super().visit_definition_list(node)

    def visit_term(self, node: nodes.Element) -> None:
        if _in_glossary(node):
            self._semantic_tag(node, "dt", "glossterm", "")
        else:
            super().visit_term(node)

    def visit_definition(self, node: nodes.Element) -> None:
        if _in_glossary(node):
            self._semantic_tag(node, "dd", "glossdef", "")
        else:
            super().visit_definition(node)


class EbookBuilder(StandaloneHTMLBuilder):
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
        self.staging_dir = Path(self.doctreedir) / "quire-ebook"
        self._images_dir = self.staging_dir / "_images"
        self.summary: EditionSummary | None = None

    def init(self) -> None:
        super().init()
        # html_file_suffix and html_link_suffix are for the site, not for the package.
        self.out_suffix = self.link_suffix = ".xhtml"

    def get_theme_config(self) -> tuple[str, dict[str, Any]]:
        return "basic", {}

    def copy_assets(self) -> None:
        # The theme's scripts and stylesheets are for the site; this edition carries its own.
        pass

    def get_outdated_docs(self) -> str:  # type: ignore[override]
        # Every chapter is written every time, so the package never mixes two builds.
        return "all documents"

    @property
    def epub_path(self) -> Path:
        return Path(self.outdir) / f"{self.config.quire_slug}.epub"

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
        title = self.env.titles[pagename].astext() if pagename in self.env.titles else pagename
        page = (
            f"<html><head><title>{escape(title)}</title></head><body>{addctx['body']}</body></html>"
        )
        write_atomically(self.staging_dir / (pagename + self.out_suffix), page.encode())

    def finish(self) -> None:
        self.copy_image_files()
        self.write_epub()

    def write_epub(self) -> None:
        from ebooklib import epub

        book = self.new_book()
        order = publication_order(self.env)
        chapters: dict[str, Any] = {}
        for docname in status_iterator(
            order, __("packing chapters "), "darkgreen", len(order), self.config.verbosity
        ):
            chapters[docname] = self.chapter(docname, len(chapters))
            book.add_item(chapters[docname])
        for image in self.packed_images():
            book.add_item(image)
        nav_ids = itertools.count(1)
        book.toc = [
            self.nav_entry(document_contents(self.env, docname), nav_ids) for docname in order[1:]
        ]
        book.spine = [chapters[docname] for docname in order]
        book.add_item(epub.EpubNcx())
        book.add_item(epub.EpubNav())
        with progress_message(__("writing the EPUB")):
            archive = io.BytesIO()
            try:
                epub.write_epub(
                    archive, book, {"mtime": self.build_date(), "raise_exceptions": True}
                )
            except Exception as error:
                raise EpubWriteError(f"{type(error).__name__}: {error}") from error
            packed = reproducible_zip(archive.getvalue(), self.build_date())
            write_atomically(self.epub_path, packed)
        self.summary = EditionSummary("epub", self.epub_path, len(packed), len(order), "chapters")
        logger.info(self.summary.line())

    def build_date(self) -> dt.datetime:
        return quire_config.build_date()

    def new_book(self) -> Any:
        from ebooklib import epub

        conf = self.config
        book = epub.EpubBook()
        book.set_identifier(quire_config.publication_identifier(conf))
        book.set_title(conf.project)
        book.set_language(conf.language or "en")
        for number, author in enumerate(conf.quire_authors, start=1):
            book.add_author(author, uid=f"creator-{number}")
        if conf.quire_subtitle:
            book.add_metadata("DC", "description", conf.quire_subtitle)
        book.add_metadata("DC", "date", self.build_date().strftime("%Y-%m-%d"))
        book.add_item(
            epub.EpubItem(
                uid="stylesheet",
                file_name=STYLESHEET,
                media_type="text/css",
                content=(asset_text("epub.css") + self.highlighter.get_stylesheet()).encode(),
            )
        )
        return book

    def chapter(self, docname: str, index: int) -> Any:
        from ebooklib import epub

        file_name = docname + self.out_suffix
        staged = self.staging_dir / file_name
        title = self.env.titles[docname].astext() if docname in self.env.titles else docname
        item = epub.EpubHtml(
            uid=f"chapter-{index}",
            file_name=file_name,
            title=title,
            lang=self.config.language or "en",
            content=staged.read_bytes(),
        )
        item.add_link(
            href=posixpath.relpath(STYLESHEET, posixpath.dirname(file_name) or "."),
            rel="stylesheet",
            type="text/css",
        )
        return item

    def packed_images(self) -> list[Any]:
        from ebooklib import epub

        items = []
        for index, name in enumerate(sorted(self.images.values())):
            path = self._images_dir / name
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

        href = entry.docname + self.out_suffix + (f"#{entry.anchor}" if entry.anchor else "")
        if not entry.children:
            return epub.Link(href, entry.title, f"nav-{next(ids)}")
        section = epub.Section(entry.title, href)
        return (section, [self.nav_entry(child, ids) for child in entry.children])


def reproducible_zip(archive: bytes, date: dt.datetime) -> bytes:
    """Re-pack an EPUB with fixed timestamps and permissions, ``mimetype`` first and stored."""
    stamp = max(date.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(output, "w") as target,
    ):
        names = sorted(source.namelist(), key=lambda name: name != "mimetype")
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name))
    return output.getvalue()


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b ebook``: quire registers its builders."""
    app.setup_extension("quire")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
