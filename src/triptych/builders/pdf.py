"""The PDF edition: every document merged into one HTML file, laid out by WeasyPrint in-process.

Built on Sphinx's single-file HTML builder, which already writes every
document into one page and resolves references to ``#document-<doc>#<id>``.
triptych merges the doctrees itself, qualifies every id with its document's name
(see :mod:`triptych.references`), adds a title page and a contents list, and
fails the build on any problem WeasyPrint logs.
"""

from __future__ import annotations

import logging as stdlib_logging
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.utils import new_document
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from sphinx import addnodes
from sphinx.builders.singlehtml import SingleFileHTMLBuilder
from sphinx.locale import __
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.display import progress_message, status_iterator
from sphinx.util.parallel import ParallelTasks

from triptych import config as triptych_config
from triptych.builders import EditionSummary, asset_text, write_atomically
from triptych.builders.pdf_layout import PrintLayout, anchor_pages, drop_repeated_pages
from triptych.diagnostics import PdfRenderError, Subtype, warn
from triptych.documents import (
    ContentsEntry,
    make_front_matter,
    publication_contents,
    publication_order,
    remove_toctrees,
)
from triptych.glossary.domain import glossary_domain
from triptych.references import chapter_anchor, qualified_id, qualify_ids

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)


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
        self.staging_dir = Path(self.doctreedir) / "triptych-pdf"
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
        return Path(self.outdir) / f"{self.config.triptych_slug}.pdf"

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
            make_front_matter(doctree)  # drops the toctrees too
        else:
            remove_toctrees(doctree)
        self.env.resolve_references(doctree, docname, self)
        self.post_process_images(doctree)
        qualify_ids(doctree, docname, self.env.all_docs)
        self._collect_numbers(docname, doctree)

        chapter = nodes.container(classes=["triptych-chapter"], ids=[chapter_anchor(docname)])
        if self._is_front_matter(docname):
            chapter["classes"].append("triptych-front-matter")
        chapter.extend(list(doctree.children))
        return chapter

    def _is_front_matter(self, docname: str) -> bool:
        return bool(self.config.triptych_front_matter) and docname == self.config.root_doc

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

    def render_print_html(
        self, chapters: list[nodes.container], order: list[str], standalone: bool = False
    ) -> str:
        document = new_document(str(self.env.doc2path(self.config.root_doc)), self.docsettings)
        document.extend(chapters)
        self.current_docname = self.config.root_doc
        visitor = self.create_translator(document, self)
        document.walkabout(visitor)
        body = "".join(visitor.fragment)  # type: ignore[attr-defined]

        template = SandboxedEnvironment(autoescape=True).from_string(asset_text("print.html"))
        conf = self.config
        created = triptych_config.build_date().isoformat().replace("+00:00", "Z")
        return template.render(
            language=conf.language or "en",
            title=conf.project,
            subtitle=conf.triptych_subtitle,
            authors=list(conf.triptych_authors),
            date=triptych_config.display_date(conf),
            edition=conf.triptych_edition,
            created=created,
            description=conf.triptych_description,
            keywords=", ".join(conf.triptych_subjects),
            standalone=standalone,
            article_title=self.env.titles[order[0]].astext() if standalone else "",
            contents=[] if standalone else self.print_contents(order),
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

        return [link(entry) for entry in publication_contents(self.env, order)]

    def finish(self) -> None:
        self.copy_image_files()
        self.write_print_html()
        self.write_pdf()
        self.write_article_pdfs()

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
            roots=(self.staging_dir, Path(self.srcdir)),
            base_dir=self.staging_dir,
            extra_css=self.highlighter.get_stylesheet(),
            paper_size=conf.triptych_paper_size,
            chapter_start=conf.triptych_chapter_start,
            page_reference=conf.triptych_page_reference,
            pdf_variant=conf.triptych_pdf_variant,
            allowed_hosts=tuple(conf.triptych_allowed_hosts),
        )

    def write_pdf(self) -> None:
        layout = self.layout()
        with progress_message(__("laying out the PDF")):
            document = layout.render(self.print_html)
            if drop_repeated_pages(self.chapters, anchor_pages(document)):
                # Only the glossary's lists change, so the pages they point at stay put.
                self.print_html = self.render_print_html(self.chapters, self.order)
                self.write_print_html()
                document = layout.render(self.print_html)
            pdf = layout.write(document)
        self.report(layout.problems)
        write_atomically(self.pdf_path, pdf)
        self.summary = EditionSummary("pdf", self.pdf_path, len(pdf), len(document.pages), "pages")
        logger.info(self.summary.line())

    def write_article_pdfs(self) -> None:
        """One PDF per article; links to other articles point at the site, or become text."""
        # Articles removed or renamed since the last build must not linger.
        shutil.rmtree(self.articles_dir, ignore_errors=True)
        if not self.config.triptych_article_pdfs:
            return
        owners = id_owners(self.chapters, self.order)
        pages = [
            (docname, self.render_print_html(
                [self.standalone_chapter(docname, chapter, owners)], [docname], standalone=True
            ))
            for docname, chapter in zip(self.order, self.chapters, strict=True)
            if not self._is_front_matter(docname)
        ]  # fmt: skip
        # WeasyPrint uses one core; with -j the articles are laid out side by side.
        if self.parallel_ok and len(pages) > 1:
            tasks = ParallelTasks(self._app.parallel)
            chunks = [pages[i :: self._app.parallel] for i in range(self._app.parallel)]
            for chunk in chunks:
                tasks.add_task(self.lay_out_articles, chunk, self.save_articles)
            tasks.join()
        else:
            self.save_articles(pages, self.lay_out_articles(pages))
        logger.info("pdf   %s  %d article PDFs", self.articles_dir, len(pages))

    def lay_out_articles(self, pages: list[tuple[str, str]]) -> list[tuple[str, bytes, str]]:
        """(docname, PDF, error or "") for each article's print HTML."""
        layout = self.layout()
        results = []
        for docname, html in status_iterator(
            pages, __("writing article PDFs "), "darkgreen", len(pages),
            self.config.verbosity, stringify_func=lambda page: page[0],
        ):  # fmt: skip
            pdf = layout.write(layout.render(html))
            try:
                self.report(layout.problems)
            except PdfRenderError as error:
                results.append((docname, b"", f"{error.location}: {error}".lstrip(": ")))
                continue
            results.append((docname, pdf, ""))
        return results

    def save_articles(
        self, pages: list[tuple[str, str]], results: list[tuple[str, bytes, str]]
    ) -> None:
        for docname, pdf, error in results:
            if error:
                raise PdfRenderError(error)
            write_atomically(self.articles_dir / f"{docname}.pdf", pdf)

    def standalone_chapter(
        self, docname: str, chapter: nodes.container, owners: dict[str, str]
    ) -> nodes.container:
        """A copy of *chapter* whose references leave no dangling link once it stands alone."""
        standalone = chapter.deepcopy()  # docutils' copy: the merged document around it stays put
        base = str(self.config.html_baseurl or "").rstrip("/")
        glossary_docs = glossary_domain(self.env).glossary_docs()
        for paragraph in list(standalone.findall(nodes.paragraph)):
            if "triptych-backrefs" in paragraph["classes"]:
                # Pages of other articles are unknown here: name the articles instead.
                paragraph.replace_self(self.articles_using(paragraph, owners, base))
        for reference in list(standalone.findall(nodes.reference)):
            target = str(reference.get("refuri", ""))
            owner = owners.get(target.removeprefix("#")) if target.startswith("#") else None
            if owner is None or owner == docname:
                continue
            reference["classes"] = [c for c in reference["classes"] if c != "triptych-pageref"]
            fragment = target.removeprefix("#").removeprefix(f"{owner}--")
            if base:
                page = f"{base}/{owner}.html"
                reference["refuri"] = (
                    page if fragment.startswith("document-") else f"{page}#{fragment}"
                )
                continue
            text = reference.astext()
            title = self.env.titles[owner].astext() if owner in self.env.titles else owner
            if owner not in glossary_docs and text != title:
                text = f"{text} ({title})"
            reference.replace_self(nodes.inline(text, text))
        return standalone

    def articles_using(
        self, back_references: nodes.paragraph, owners: dict[str, str], base: str
    ) -> nodes.paragraph:
        targets = [str(r.get("refuri", "")) for r in back_references.findall(nodes.reference)]
        documents = dict.fromkeys(owners[t[1:]] for t in targets if t[1:] in owners)
        paragraph = nodes.paragraph("", "Used in ", classes=["triptych-backrefs"])
        for index, docname in enumerate(documents):
            if index:
                paragraph += nodes.Text("; ")
            title = self.env.titles[docname].astext() if docname in self.env.titles else docname
            if base:
                paragraph += nodes.reference("", title, refuri=f"{base}/{docname}.html")
            else:
                paragraph += nodes.Text(title)
        paragraph += nodes.Text(".")
        return paragraph

    def report(self, problems: list[stdlib_logging.LogRecord]) -> None:
        """Fail on any error WeasyPrint logged, naming the article it concerns where it can."""
        errors: list[tuple[str, str]] = []
        for record in problems:
            message = record.getMessage().rstrip()
            if message.endswith(":"):  # WeasyPrint gives no reason for some failures
                message += " it could not be loaded"
            where = self.locate(message)
            if record.levelno >= stdlib_logging.ERROR:
                errors.append((where, message))
            else:
                warn(logger, Subtype.PDF_RENDER, "WeasyPrint: %s", message, location=where or None)
        problems.clear()
        if errors:
            first = errors[0][0]
            detail = "; ".join(m if w == first else f"{w}: {m}" for w, m in errors)
            raise PdfRenderError(detail, location=first)

    def locate(self, message: str) -> str:
        """The source file (and line) a WeasyPrint message is about, from what it names."""
        for url in re.findall(r"'([^']+)'", message):
            for docname, chapter in zip(self.order, self.chapters, strict=True):
                for node in chapter.findall(nodes.Element):
                    if isinstance(node, nodes.raw):
                        named = node.astext()
                    elif isinstance(node, nodes.image):
                        named = str(node["uri"])
                    else:
                        continue
                    if url in named:
                        line = f":{node.line}" if node.line else ""
                        return f"{self.env.doc2path(docname)}{line}"
        for docname in self.order:
            if f"#{docname}--" in message or f"{chapter_anchor(docname)}" in message:
                return str(self.env.doc2path(docname))
        for source, name in self.images.items():
            if f"/_images/{name}" in message:
                users = sorted(self.env.images[source][0]) if source in self.env.images else []
                return str(self.env.doc2path(users[0])) if users else source
        if glyphs := re.search(r'unsupported by fonts: "(.+)" \(U\+', message):
            return self.first_use(glyphs[1])
        return ""

    def first_use(self, text: str) -> str:
        """``file:line`` of the first article line holding *text* (a character no font has)."""
        for docname in self.order:
            path = self.env.doc2path(docname)
            # Split at line feeds only: the character may itself be a line separator.
            lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
            for number, line in enumerate(lines, start=1):
                if text in line:
                    return f"{path}:{number}"
        return ""


def id_owners(chapters: list[nodes.container], order: list[str]) -> dict[str, str]:
    """Which document each id of the merged document belongs to."""
    owners: dict[str, str] = {}
    for docname, chapter in zip(order, chapters, strict=True):
        for node in chapter.findall(nodes.Element):
            owners.update(dict.fromkeys(node.get("ids", ()), docname))
    return owners


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
                reference["classes"].append("triptych-pageref")
            elif any(
                "triptych-page-number" in child.get("classes", ())
                for child in reference.children
                if isinstance(child, nodes.Element)
            ):
                reference["classes"].append("triptych-page-number")


class DownloadsAsText(SphinxPostTransform):
    """A download in print is its text: the file is not in the PDF to be opened."""

    builders = ("pdf",)
    default_priority = 5

    def run(self, **_kwargs: Any) -> None:
        for download in list(self.document.findall(addnodes.download_reference)):
            download.replace_self(nodes.inline("", "", *download.children))


def setup(app: Sphinx) -> ExtensionMetadata:
    """Entry point for ``sphinx-build -b pdf``: triptych registers its builders."""
    app.setup_extension("triptych")
    return {"version": "builtin", "parallel_read_safe": True, "parallel_write_safe": True}
