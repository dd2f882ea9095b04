"""``triptych check``: one audit over the editions already built.

Every internal link of the site must name an existing file and id, every link
of the EPUB a file and fragment inside the package, every internal link of the
PDF an existing destination; and the three editions must carry the same
glossary terms and the same back-references.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from lxml import etree, html

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from triptych.checks.pages import PageAudit
    from triptych.checks.text import TextAudit

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}
USE_ANCHOR = re.compile(r"^(?P<term>term-.+)-use-\d+$")


@dataclass
class EditionAudit:
    edition: str
    path: Path
    links: int = 0
    broken: list[str] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    """Ids of the glossary's terms."""
    glossary_documents: set[str] = field(default_factory=set)
    """Documents holding a glossary (known from the site)."""
    back_references: set[tuple[str, str]] = field(default_factory=set)
    """(term id, document) for every back-reference from the glossary.

    Per document rather than per section: the PDF lists a page once even when
    two sections on it use the term.
    """
    documents: set[str] = field(default_factory=set)
    """The documents the edition holds: a book only those its contents reach."""

    def note_back_reference(self, document: str, anchor: str) -> None:
        if match := USE_ANCHOR.match(anchor):
            self.back_references.add((match["term"], document))


def _local(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and not href.startswith("//")


def _parse_html(path: Path) -> etree._ElementTree:
    return html.parse(str(path))


# --- the site ----------------------------------------------------------------------------


def _site_target(site: Path, page: Path, path: str) -> Path:
    """The file a link's path names: relative to its page, or, from ``/``, to where the site is.

    A path from the server's root is what a page served at any address must
    use (sphinx-notfound-page's 404 page: ``/en/latest/index.html``). Where the
    site will be served is not known here, so the path's leading folders are
    taken as that place, as many as leave a file of the site.
    """
    if not path.startswith("/"):
        return (page.parent / path).resolve()
    parts = [part for part in path.split("/") if part]
    candidates = [site.joinpath(*parts[skip:]) for skip in range(len(parts))] or [site]
    found = next((c for c in candidates if c.is_file() or (c / "index.html").is_file()), None)
    return (found or candidates[0]).resolve()


@dataclass
class SitePage:
    """What the audit reads of one page of the site."""

    ids: list[str]
    #: Its links within the site.
    links: list[str]
    #: The ids of the glossary terms it defines, and its back-references' links.
    terms: list[str] | None = None
    back_references: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> SitePage:
        tree = _parse_html(path)
        page = cls(
            ids=[str(value) for value in tree.xpath("//@id")],
            links=[str(href) for href in tree.xpath("//a/@href") if _local(str(href))],
        )
        for glossary in tree.xpath("//dl[contains(concat(' ', @class, ' '), ' glossary ')]"):
            page.terms = [*(page.terms or []), *(str(i) for i in glossary.xpath("./dt/@id"))]
            page.back_references += [
                str(href)
                for href in glossary.xpath(".//p[contains(@class, 'triptych-backrefs')]//a/@href")
            ]
        return page


def _stamp(path: Path) -> list[int]:
    """What changes when a file is written again: its size and times."""
    status = path.stat()
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def read_site_pages(site: Path, pages: list[Path], kept: Path | None) -> dict[Path, SitePage]:
    """Each page as the audit reads it; with *kept*, a file of what the last audit read, only
    the pages written since are read again (an edit rewrites a few of a site's pages)."""
    before: dict[str, Any] = {}
    if kept is not None:
        try:
            before = json.loads(kept.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            before = {}
    read: dict[Path, SitePage] = {}
    now: dict[str, Any] = {}
    for path in pages:
        name = path.relative_to(site).as_posix()
        stamp = _stamp(path)
        found = before.get(name) if isinstance(before, dict) else None
        page = None
        if isinstance(found, dict) and found.get("stamp") == stamp:
            try:
                page = SitePage(**found["page"])
            except TypeError:
                page = None
        if page is None:
            page = SitePage.read(path)
        read[path] = page
        # Its fields are lists of strings: a shallow copy, not asdict's deep one.
        now[name] = {"stamp": stamp, "page": dict(vars(page))}
    if kept is not None:
        from triptych.editions import write_atomically

        write_atomically(kept, json.dumps(now, sort_keys=True).encode())
    return read


def audit_html(site: Path, kept: Path | None = None) -> EditionAudit:
    """Links and glossary of the site: every page read once, every link's file and id
    looked up in what was read (a site of 300 pages has a hundred thousand links, most of
    them to the same few files). With *kept*, see :func:`read_site_pages`."""
    audit = EditionAudit("html", site)
    pages = sorted(site.rglob("*.html"))
    ids: dict[Path, set[str]] = {}
    links: dict[Path, list[str]] = {}
    for page, read in read_site_pages(site, pages, kept).items():
        document = page.relative_to(site).with_suffix("").as_posix()
        audit.documents.add(document)
        ids[page.resolve()] = set(read.ids)
        links[page] = read.links
        if read.terms is not None:
            audit.glossary_documents.add(document)
            audit.terms |= set(read.terms)
            for href in read.back_references:
                linked, _, anchor = href.partition("#")
                # A use on the glossary's own page is linked by its anchor alone.
                target = (page.parent / linked).resolve() if linked else page.resolve()
                relative = target.relative_to(site.resolve())
                audit.note_back_reference(relative.with_suffix("").as_posix(), anchor)

    def ids_of(target: Path) -> set[str]:
        if target not in ids:  # an HTML file the site holds outside its pages' folders
            ids[target] = {str(v) for v in _parse_html(target).xpath("//@id")}
        return ids[target]

    targets: dict[tuple[Path, str], Path | None] = {}

    def file_named(page: Path, path: str) -> Path | None:
        """The file a link's path names, or None; looked up once per folder and path."""
        # A link without a path is to its own page; others are relative to the page's folder.
        key = (page.parent, path) if path else (page, path)
        if key not in targets:
            target = _site_target(site, page, path) if path else page.resolve()
            if target.is_dir():
                target /= "index.html"
            targets[key] = target if target.is_file() else None
        return targets[key]

    def fault(page: Path, href: str) -> str | None:
        parts = urlsplit(href)
        target = file_named(page, unquote(parts.path))
        if target is None:
            return "no such file"
        if parts.fragment and target.suffix == ".html":
            return None if unquote(parts.fragment) in ids_of(target) else "no such id"
        return None

    # The verdict on each link, by the folder it is read from (its own page, for a link
    # without a path): most links are those of every page, to the same few files.
    faults: dict[tuple[str, str], str | None] = {}
    for page in pages:
        own, folder = str(page), str(page.parent)
        for href in links[page]:
            audit.links += 1
            key = (own if href.startswith(("#", "?")) else folder, href)
            if key not in faults:
                faults[key] = fault(page, href)
            if faults[key] is not None:
                audit.broken.append(f"{page.relative_to(site)}: {href}: {faults[key]}")
    return audit


# --- the EPUB ----------------------------------------------------------------------------


def _resolve(base: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href)))


def epub_documents(archive: zipfile.ZipFile) -> Iterator[str]:
    """Paths of the XHTML documents listed in the package's manifest."""
    container = etree.fromstring(archive.read("META-INF/container.xml"))
    opf_path = container.xpath("//container:rootfile/@full-path", namespaces=NS)[0]
    opf = etree.fromstring(archive.read(opf_path))
    for item in opf.xpath("//opf:manifest/opf:item", namespaces=NS):
        if item.get("media-type") == "application/xhtml+xml":
            yield _resolve(opf_path, item.get("href"))


def audit_epub(path: Path) -> EditionAudit:
    audit = EditionAudit("epub", path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        documents = {name: etree.fromstring(archive.read(name)) for name in epub_documents(archive)}
    ids = {name: {str(v) for v in tree.xpath("//@id")} for name, tree in documents.items()}
    audit.documents = {posixpath.splitext(name.removeprefix("EPUB/"))[0] for name in documents}
    for name, tree in documents.items():
        for element in tree.xpath("//*[@href or @src]"):
            href = element.get("href") or element.get("src")
            if not _local(href):
                continue
            audit.links += 1
            parts = urlsplit(href)
            target = _resolve(name, parts.path) if parts.path else name
            if target not in names:
                audit.broken.append(f"{name}: {href}: not in the package")
            elif parts.fragment and parts.fragment not in ids.get(target, set()):
                audit.broken.append(f"{name}: {href}: no such id")
        # The glossary's own document, and glossaries an article holds (a ``{glossary}`` or
        # a definition list of the class glossary), as the site's audit finds them.
        glossaries = (
            "//*[@epub:type='glossary'] | //xhtml:dl[contains(concat(' ', @class, ' '),"
            " ' glossary ')][not(ancestor::*[@epub:type='glossary'])]"
        )
        for glossary in tree.xpath(glossaries, namespaces=NS):
            audit.terms |= {str(i) for i in glossary.xpath(".//xhtml:dt/@id", namespaces=NS)}
            query = ".//xhtml:p[contains(@class, 'triptych-backrefs')]//xhtml:a/@href"
            for href in glossary.xpath(query, namespaces=NS):
                document, _, anchor = str(href).partition("#")
                target = _resolve(name, document) if document else name
                audit.note_back_reference(
                    posixpath.splitext(target.removeprefix("EPUB/"))[0], anchor
                )
    return audit


# --- the PDF -----------------------------------------------------------------------------


def _pdf_links(path: Path) -> tuple[set[str], list[tuple[int, str | None, str | None]]]:
    """The named destinations of the PDF at *path*, and its links: (page, named destination
    or None, external URI or None) of each link annotation. Read with qpdf, which reads a
    book of a thousand pages in a tenth of the time pypdf takes."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        destinations: set[str] = set()
        names = pdf.Root.get("/Names")
        if names is not None and "/Dests" in names:
            destinations.update(str(name) for name in pikepdf.NameTree(names.Dests))
        old_style = pdf.Root.get("/Dests")
        if isinstance(old_style, pikepdf.Dictionary):
            destinations.update(str(key)[1:] for key in old_style)
        links: list[tuple[int, str | None, str | None]] = []
        for number, page in enumerate(pdf.pages, start=1):
            for annotation in page.obj.get("/Annots") or []:
                if annotation.get("/Subtype") != pikepdf.Name.Link:
                    continue
                action = annotation.get("/A")
                destination = annotation.get("/Dest")
                if action is not None and action.get("/S") == pikepdf.Name.URI:
                    links.append((number, None, str(action.URI)))
                    continue
                if action is not None and action.get("/S") == pikepdf.Name.GoTo:
                    destination = action.get("/D")
                named = None if destination is None else str(destination)
                if isinstance(destination, pikepdf.Name):
                    named = str(destination)[1:]
                links.append((number, named, None))
    return destinations, links


def audit_pdf(path: Path, glossary_documents: set[str] | None = None) -> EditionAudit:
    """Links and glossary of the PDF; *glossary_documents* (known from the site, when it was
    built) tells glossary entries from sections whose ids merely start with ``term-``."""
    audit = EditionAudit("pdf", path)
    destinations, links = _pdf_links(path)
    for page, destination, uri in links:
        if uri is not None:
            continue
        audit.links += 1
        if destination not in destinations:
            audit.broken.append(f"page {page}: link to missing destination {destination!r}")
        elif destination is not None and USE_ANCHOR.match(destination.partition("--")[2]):
            document, _, anchor = destination.partition("--")
            audit.note_back_reference(document, anchor)
    for name in destinations:
        document, _, anchor = name.partition("--")
        if name.startswith("document-") and not anchor:
            audit.documents.add(name.removeprefix("document-"))
        if glossary_documents is not None and document not in glossary_documents:
            continue
        if anchor.startswith("term-") and not USE_ANCHOR.match(anchor):
            audit.terms.add(anchor)
    return audit


# --- all three ---------------------------------------------------------------------------


def audit_editions(outdir: Path) -> list[EditionAudit]:
    audits = []
    glossary_documents = None
    if (outdir / "html").is_dir():
        audits.append(audit_html(outdir / "html"))
        glossary_documents = audits[0].glossary_documents
    audits.extend(
        audit_pdf(path, glossary_documents) for path in sorted((outdir / "pdf").glob("*.pdf"))
    )
    audits.extend(audit_epub(path) for path in sorted((outdir / "epub").glob("*.epub")))
    return audits


def disagreements(audits: list[EditionAudit]) -> list[str]:
    """How the editions differ in glossary terms and back-references."""
    problems: list[str] = []
    if len(audits) < 2:
        return problems
    reference = audits[0]
    for other in audits[1:]:
        # A use on a page one edition lacks (the site's pages outside the books) is
        # back-referenced only where the page is.
        mine_shared = {use for use in reference.back_references if use[1] in other.documents}
        theirs_shared = {use for use in other.back_references if use[1] in reference.documents}
        for what, mine, theirs in (
            ("terms", reference.terms, other.terms),
            ("back-references", mine_shared, theirs_shared),
        ):
            if mine != theirs:
                only_mine = sorted(map(str, mine - theirs))[:5]
                only_theirs = sorted(map(str, theirs - mine))[:5]
                problems.append(
                    f"{what} differ between {reference.edition} and {other.edition}: "
                    f"only in {reference.edition} {only_mine}, only in {other.edition} {only_theirs}"
                )
    return problems


def report(
    audits: list[EditionAudit],
    texts: Sequence[TextAudit] = (),
    pages: Sequence[PageAudit] = (),
) -> tuple[str, bool]:
    """The table printed by ``triptych check``, and whether everything passed.

    *texts* are the text audits of the same editions: a summary line each, and
    a line for every passage of the source an edition lacks. *pages* are the
    page-number audits of the PDFs: a summary line each, and a line for every
    number or link that is wrong.
    """
    rows = [("edition", "links", "broken", "terms", "back-refs", "path")]
    rows += [
        (
            a.edition,
            str(a.links),
            str(len(a.broken)),
            str(len(a.terms)),
            str(len(a.back_references)),
            str(a.path),
        )
        for a in audits
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += [text.summary() for text in texts]
    lines += [page.summary() for page in pages]
    problems = [f"{a.edition}: {broken}" for a in audits for broken in a.broken]
    problems += disagreements(audits)
    problems += [passage.line() for text in texts for passage in text.missing]
    problems += [problem for page in pages for problem in page.problems]
    lines += problems
    if problems:
        lines.append(f"{len(problems)} problems")
    else:
        lines.append(
            "all editions agree; no broken links"
            + ("; every word of the sources in every edition" if texts else "")
            + ("; every printed page number right" if pages else "")
        )
    return "\n".join(lines), not problems
