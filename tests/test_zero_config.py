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
