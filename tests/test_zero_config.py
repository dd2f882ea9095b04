"""A folder of articles without conf.py gets defaults a reader would accept."""

from __future__ import annotations

import shutil
import zipfile
from typing import TYPE_CHECKING

from lxml import etree, html
from pypdf import PdfReader

from outputs import NS
from triptych import cli

if TYPE_CHECKING:
    from pathlib import Path


def build(source: Path, out: Path) -> None:
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W"]) == 0


def test_without_an_index_the_site_opens_with_the_contents(rootdir: Path, tmp_path: Path) -> None:
    source = tmp_path / "field-notes"
    shutil.copytree(rootdir / "test-noconf", source)
    build(source, tmp_path / "out")
    landing = html.parse(str(tmp_path / "out" / "html" / "index.html"))
    links = [(a.text_content(), a.get("href")) for a in landing.xpath("//article//nav//a")]
    assert links[:3] == [
        ("First notes", "a-first.html"),
        ("Second notes", "b-second.html"),
        ("Third notes", "c-third.html"),
    ]
    assert "furo" in etree.tostring(landing).decode()
    assert "Copyright" not in landing.getroot().text_content()
    title_page = PdfReader(tmp_path / "out" / "pdf" / "field-notes.pdf").pages[0].extract_text()
    assert "Field notes" in title_page
    assert "Author name not set" not in title_page
    with zipfile.ZipFile(tmp_path / "out" / "epub" / "field-notes.epub") as archive:
        package = etree.fromstring(archive.read("EPUB/content.opf"))
    assert package.xpath("//dc:creator", namespaces=NS) == []


def test_the_title_is_the_index_heading_and_math_is_on(tmp_path: Path) -> None:
    source = tmp_path / "notes"
    source.mkdir()
    (source / "index.md").write_text("# Tides and Their Periods\n\nAn introduction.\n")
    (source / "waves.md").write_text("# Waves\n\nThe period $T$ of a wave.\n")
    build(source, tmp_path / "out")
    page = html.parse(str(tmp_path / "out" / "html" / "waves.html"))
    assert page.xpath("//title")[0].text.endswith("Tides and Their Periods")
    assert page.xpath("//*[contains(@class, 'math')]"), "$T$ is math, not text"
    assert "$T$" not in page.getroot().text_content()
    with zipfile.ZipFile(tmp_path / "out" / "epub" / "tides-and-their-periods.epub") as archive:
        package = etree.fromstring(archive.read("EPUB/content.opf"))
    assert package.xpath("string(//dc:title)", namespaces=NS) == "Tides and Their Periods"


def test_articles_the_root_does_not_list_are_in_every_edition(tmp_path: Path) -> None:
    from triptych.checks.text import audit_text

    source = tmp_path / "book"
    source.mkdir()
    (source / "index.md").write_text("# Book\n\n```{toctree}\nfirst\n```\n")
    (source / "first.md").write_text("# First\n\nFirst words.\n")
    (source / "stray.md").write_text("# Stray\n\nStray words.\n")
    (source / "aside.md").write_text("---\norphan: true\n---\n# Aside\n\nOn the site.\n")
    out = tmp_path / "out"
    build(source, out)  # with -W: no "document isn't included in any toctree"
    with zipfile.ZipFile(out / "epub" / "book.epub") as archive:
        names = set(archive.namelist())
    assert {"EPUB/first.xhtml", "EPUB/stray.xhtml"} <= names
    assert "EPUB/aside.xhtml" not in names
    pdf = "".join(page.extract_text() for page in PdfReader(out / "pdf" / "book.pdf").pages)
    assert pdf.index("First words") < pdf.index("Stray words")
    assert "On the site" not in pdf
    for audit in audit_text(out):
        assert audit.missing == [], audit.edition
        assert audit.site_only == ([] if audit.edition in {"site", "articles"} else ["aside"])
