"""``triptych new``: the publication it writes builds with -W, and it never overwrites."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

import pytest
import yaml
from lxml import html
from pypdf import PdfReader

from outputs import NS, Epub, epubcheck_messages, pdf_destination_page, pdf_links, pdf_page_texts
from triptych import cli

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``triptych new book && triptych build book -W`` in an empty folder; the build folder."""
    work = tmp_path_factory.mktemp("scaffold")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        assert cli.main(["new", "book", "--title", "Field Notes", "--author", "Ada Byron"]) == 0
        assert cli.main(["build", "book", "-W", "-q"]) == 0
    return work


def test_it_writes_every_file_a_publication_starts_with(book: Path) -> None:
    written = {str(path.relative_to(book / "book")) for path in (book / "book").rglob("*")}
    assert {
        "conf.py", "index.md", "writing.md", "sharing.md", "glossary.md", "references.md",
        "references.bib", "figures/editions.svg", "Makefile", ".gitignore",
        ".readthedocs.yaml", ".github/workflows/publication.yml",
    } <= written  # fmt: skip
    conf = (book / "book" / "conf.py").read_text()
    assert 'project = "Field Notes"' in conf
    # Every option of triptych's configuration is in conf.py, with its default.
    from triptych.config import OPTIONS

    for name, default, _rebuild, _types in OPTIONS:
        if name == "triptych_editions_dir":  # set by triptych build, not by authors
            continue
        assert re.search(rf"^#? ?{name} = ", conf, re.MULTILINE), name
        if isinstance(default, str | bool | int) and name != "triptych_slug":
            assert re.search(rf"^# {name} = {re.escape(repr(default).replace(chr(39), chr(34)))}",
                             conf, re.MULTILINE), name  # fmt: skip


def test_the_three_editions_are_built(book: Path) -> None:
    out = book / "build"
    assert (out / "html" / "index.html").is_file()
    assert (out / "pdf" / "field-notes.pdf").is_file()
    assert (out / "epub" / "field-notes.epub").is_file()
    assert epubcheck_messages(out / "epub" / "field-notes.epub") == []


def test_the_citation_links_to_its_entry_in_every_edition(book: Path) -> None:
    out = book / "build"
    page = html.parse(str(out / "html" / "sharing.html")).getroot()
    (link,) = page.xpath("//span[@class='bibtex-citation']//a")
    document, _, anchor = link.get("href").partition("#")
    assert document == "references.html"
    references = html.parse(str(out / "html" / "references.html")).getroot()
    (entry,) = references.xpath(f"//*[@id='{anchor}']")
    assert "One Folder of Articles, Three Editions" in entry.text_content()

    epub = Epub.open(out / "epub" / "field-notes.epub")
    (link,) = epub.xhtml("EPUB/sharing.xhtml").xpath(
        "//xhtml:span[@class='bibtex-citation']//xhtml:a", namespaces=NS
    )
    target, _, anchor = epub.resolve(link.get("href"), "EPUB/sharing.xhtml").partition("#")
    assert target == "EPUB/references.xhtml"
    assert epub.xhtml(target).xpath(f"//*[@id='{anchor}']", namespaces=NS)

    pdf = PdfReader(out / "pdf" / "field-notes.pdf")
    pages = pdf_page_texts(out / "pdf" / "field-notes.pdf")
    (citing,) = [n for n, text in enumerate(pages, 1) if "the citation [1] links" in text]
    (listed,) = [n for n, text in enumerate(pages, 1) if "Three Editions" in text]
    citations = [
        link.target
        for link in pdf_links(pdf)
        if link.page == citing and link.target and link.target.startswith("references--")
    ]
    assert [pdf_destination_page(pdf, target) for target in citations] == [listed]


def test_the_index_lists_the_entries_and_terms(book: Path) -> None:
    out = book / "build"
    pages = pdf_page_texts(out / "pdf" / "field-notes.pdf")
    index = " ".join(pages[-1].split())
    assert index.startswith("Index")
    for entry in ("Cross-reference", "Glossary", "entries", "terms"):
        assert entry in index
    genindex = html.parse(str(out / "html" / "genindex.html")).getroot()
    assert "entries" in genindex.text_content()
    epub = Epub.open(out / "epub" / "field-notes.epub")
    assert epub.spine[-1] == "EPUB/genindex.xhtml"


def test_the_figure_table_formula_and_footnote_are_printed(book: Path) -> None:
    text = " ".join(" ".join(pdf_page_texts(book / "build" / "pdf" / "field-notes.pdf")).split())
    for printed in ("Fig. 1 One folder of articles", "Table 1 The three editions",
                    "Equation (1) is the mean", "gathered at the end of the article"):  # fmt: skip
        assert printed in text


def test_the_publishing_files_are_valid(book: Path) -> None:
    readthedocs = yaml.safe_load((book / "book" / ".readthedocs.yaml").read_text())
    commands = " ".join(readthedocs["build"]["commands"])
    assert "$READTHEDOCS_OUTPUT/pdf/" in commands and "field-notes.pdf" in commands
    assert "field-notes.epub" in commands
    workflow = yaml.safe_load(
        (book / "book" / ".github" / "workflows" / "publication.yml").read_text()
    )
    assert workflow["jobs"]["build"]["steps"]
    makefile = (book / "book" / "Makefile").read_text()
    for target in ("all", "html pdf epub", "check", "serve", "reproducible", "clean"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_quotes_in_the_title_make_a_valid_conf_py(tmp_path: Path) -> None:
    title = 'The "Best" \\ Notes'
    assert cli.main(["new", str(tmp_path / "book"), "--title", title]) == 0
    conf = ast.parse((tmp_path / "book" / "conf.py").read_text())
    assigned = {
        node.targets[0].id: node.value
        for node in conf.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["project"]) == title


def test_it_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.md").write_text("# Mine\n")
    assert cli.main(["new", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not empty" in error
    assert [path.name for path in tmp_path.iterdir()] == ["notes.md"]
