"""One glossary in every edition: links, first-use expansions, abbreviations, back-references."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import etree, html
from pypdf import PdfReader

from outputs import NS, pdf_destination_page, pdf_links, pdf_outline, triptych_build
from triptych import cli
from triptych.checks.audit import audit_editions, report

if TYPE_CHECKING:
    from conftest import BuildRoot


EXPANDED = "Collective Security Treaty Organization (CSTO)"


@pytest.fixture(scope="module")
def out(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return triptych_build(rootdir / "test-glossary", tmp_path_factory.mktemp("glossary"))


def site_page(out: Path, name: str) -> etree._ElementTree:
    return html.parse(str(out / "html" / f"{name}.html"))


def visible_text(element: etree._Element) -> str:
    """Text as read on the page; the definitions that term links preview are not in it."""
    return " ".join(element.text_content().split())


def epub_chapter(out: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(out / "epub" / "glossary-test.epub") as archive:
        return etree.fromstring(archive.read(f"EPUB/{name}.xhtml"))


def pdf_text(out: Path) -> str:
    """The text of the PDF's pages before its index (which lists the terms again)."""
    reader = PdfReader(out / "pdf" / "glossary-test.pdf")
    (index,) = [
        page for title, depth, page in pdf_outline(reader) if (title, depth) == ("Index", 1)
    ]
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages[: index - 1])


def test_first_plain_occurrence_is_linked_and_expanded(out: Path) -> None:
    page = site_page(out, "alpha")
    first = page.xpath("//p[1]/a[contains(@href, 'glossary.html#term-CSTO')]")
    assert len(first) == 1
    assert first[0].xpath("string(./span[contains(@class, 'std-term')])") == EXPANDED
    chapter = epub_chapter(out, "alpha")
    links = chapter.xpath("//xhtml:a[@href='glossary.xhtml#term-CSTO']", namespaces=NS)
    assert [" ".join("".join(a.itertext()).split()) for a in links] == [EXPANDED]
    assert EXPANDED in pdf_text(out)
    assert (
        pdf_text(out).count("Collective Security Treaty Organization") == 3
    )  # two articles, one entry


def test_later_occurrences_are_marked_as_abbreviations(out: Path) -> None:
    for tree in (site_page(out, "alpha").getroot(), epub_chapter(out, "alpha")):
        abbrs = [(a.get("title"), a.text) for a in tree.iter("{*}abbr", "abbr")]
        assert abbrs == [("Collective Security Treaty Organization", "CSTO")]


def test_no_links_in_headings_code_links_or_literal_blocks(out: Path) -> None:
    page = site_page(out, "alpha")
    assert not page.xpath("//h2//a[contains(@href, 'glossary')]")
    assert page.xpath("string(//code)") == "CSTO"
    assert not page.xpath("//pre//a")
    assert page.xpath("string(//a[@href='beta.html'])") == "link about the CSTO"
    # Only the first plain occurrence of a term in an article is linked.
    interop = page.xpath("//a[contains(@href, '#term-Interoperability')]")
    assert len(interop) == 1
    assert site_page(out, "glossary").xpath("//dd//a[contains(@href, 'glossary.html#term')]") == []


def test_explicit_reference_and_declared_variants(out: Path) -> None:
    page = site_page(out, "beta")
    explicit = page.xpath("//a[contains(@href, '#term-CSTO')]")
    assert [
        " ".join(a.xpath("string(./span[contains(@class,'std-term')])").split()) for a in explicit
    ] == [EXPANDED]
    variant = page.xpath("//a[contains(@href, '#term-Union-State-of-Russia-and-Belarus')]")
    assert len(variant) == 1
    # A possessive takes no expansion in brackets; the next occurrence does.
    text = visible_text(page.xpath("//section[@id='beta-outlook']/p")[0])
    assert "NATO\u2019s role" in text
    assert "but North Atlantic Treaty Organization (NATO) is" in text


def test_back_references_in_every_edition(out: Path) -> None:
    expected = {("alpha", "term-CSTO-use-1"), ("beta", "term-CSTO-use-1")}
    glossary = site_page(out, "glossary")
    site = {
        (href.split(".html#")[0], href.split("#")[1])
        for href in glossary.xpath("//dd[1]//p[@class='triptych-backrefs']//a/@href")
    }
    assert site == expected
    assert (
        glossary.xpath("string(//dd[1]//p[@class='triptych-backrefs'])") == "Used in Alpha; Beta."
    )
    chapter = epub_chapter(out, "glossary")
    hrefs = chapter.xpath(
        "//xhtml:dd[1]//xhtml:p[@class='triptych-backrefs']//xhtml:a/@href", namespaces=NS
    )
    assert sorted(hrefs) == ["alpha.xhtml#term-CSTO-use-1", "beta.xhtml#term-CSTO-use-1"]

    reader = PdfReader(out / "pdf" / "glossary-test.pdf")
    pages = [pdf_destination_page(reader, f"{doc}--{anchor}") for doc, anchor in sorted(expected)]
    (glossary_page,) = [page for title, _, page in pdf_outline(reader) if title == "Glossary"]
    glossary_text = " ".join(reader.pages[glossary_page - 1].extract_text().split())
    assert f"Used on pages {pages[0]}, {pages[1]}." in glossary_text
    backrefs = {link.target for link in pdf_links(reader) if link.target and "-use-" in link.target}
    assert {f"{doc}--{anchor}" for doc, anchor in expected} <= backrefs


def test_site_previews_definitions_other_editions_do_not(out: Path) -> None:
    page = site_page(out, "alpha")
    previews = [
        " ".join(page.xpath(f"string(//*[@id='{described}'])").split())
        for described in page.xpath("//a[contains(@class, 'triptych-term')]/@aria-describedby")
    ]
    assert "A military alliance of six post-Soviet states." in previews
    assert "triptych-term-preview" not in etree.tostring(epub_chapter(out, "alpha")).decode()
    assert "six post-Soviet states" not in " ".join(
        PdfReader(out / "pdf" / "glossary-test.pdf").pages[3].extract_text().split()
    )


def test_epub_glossary_structural_semantics(out: Path) -> None:
    chapter = epub_chapter(out, "glossary")
    epub_type = "{http://www.idpf.org/2007/ops}type"
    (glossary,) = chapter.xpath("//*[@epub:type='glossary']", namespaces=NS)
    assert glossary.get("role") == "doc-glossary"
    (dl,) = glossary.xpath("./xhtml:dl", namespaces=NS)
    assert {dt.get(epub_type) for dt in dl.xpath("./xhtml:dt", namespaces=NS)} == {"glossterm"}
    assert {dd.get(epub_type) for dd in dl.xpath("./xhtml:dd", namespaces=NS)} == {"glossdef"}


def test_pdf_gives_the_page_of_a_section_in_another_article(out: Path) -> None:
    reader = PdfReader(out / "pdf" / "glossary-test.pdf")
    page = pdf_destination_page(reader, "alpha--alpha-interoperability")
    assert f"See Interoperability in practice (p. {page})" in pdf_text(out)
    # The site and the EPUB have no pages, and say nothing of them.
    assert "(p." not in visible_text(site_page(out, "beta").xpath("//body")[0])
    assert "(p." not in "".join(epub_chapter(out, "beta").itertext())


def test_numbers_are_the_same_in_every_edition(out: Path) -> None:
    site = site_page(out, "beta").xpath("string(//a[contains(@href, '#fig-alpha')])")
    epub = "".join(
        epub_chapter(out, "beta")
        .xpath("//xhtml:a[contains(@href, '#fig-alpha')]", namespaces=NS)[0]
        .itertext()
    )
    assert site == epub == "Fig. 1"
    assert "and Fig. 1;" in pdf_text(out)
    assert re.search(r"Fig\. 2 The second figure", pdf_text(out))


def test_check_passes_then_catches_a_missing_back_reference(out: Path, tmp_path: Path) -> None:
    table, passed = report(audit_editions(out))
    assert passed, table
    rows = {line.split()[0]: line.split()[1:5] for line in table.splitlines()[1:4]}
    assert rows["html"][2:] == rows["pdf"][2:] == rows["epub"][2:] == ["7", "5"]

    damaged = tmp_path / "out"
    shutil.copytree(out, damaged)
    epub = damaged / "epub" / "glossary-test.epub"
    with (
        zipfile.ZipFile(out / "epub" / "glossary-test.epub") as source,
        zipfile.ZipFile(epub, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "EPUB/glossary.xhtml":
                data = data.replace(
                    b'href="beta.xhtml#term-CSTO-use-1"', b'href="beta.xhtml#nowhere"'
                )
            target.writestr(info, data)
    assert cli.main(["check", str(damaged)]) == 1
    table, passed = report(audit_editions(damaged))
    assert not passed
    assert "beta.xhtml#nowhere: no such id" in table
    assert "back-references differ between html and epub" in table


def test_incremental_build_updates_back_references(rootdir: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(rootdir / "test-glossary", source)
    build = ["build", str(source), "-o", str(tmp_path / "out"), "-f", "html", "-W", "-q"]
    assert cli.main(build) == 0

    def union_state_back_references() -> list[str]:
        glossary = html.parse(str(tmp_path / "out" / "html" / "glossary.html"))
        entry = glossary.xpath("//dt[@id='term-Union-State']/following-sibling::dd[1]")[0]
        return [str(h) for h in entry.xpath(".//p[@class='triptych-backrefs']//a/@href")]

    assert union_state_back_references() == ["beta.html#term-Union-State-use-1"]
    article = source / "alpha.md"
    article.write_text(article.read_text() + "\nThe {term}`Union State` is mentioned here too.\n")
    assert cli.main(build) == 0
    assert union_state_back_references() == [
        "alpha.html#term-Union-State-use-1",
        "beta.html#term-Union-State-use-1",
    ]


def test_auto_linking_can_be_switched_off(build_root: BuildRoot) -> None:
    app = build_root("html", "test-glossary", confoverrides={"triptych_autolink_terms": False})
    alpha = html.parse(str(Path(app.outdir) / "alpha.html"))
    assert alpha.xpath("//a[contains(@href, 'glossary.html#term')]") == []
    # Abbreviations are still expanded at first use and marked afterwards.
    assert EXPANDED in visible_text(alpha.xpath("//body")[0])
    assert [a.text for a in alpha.iter("abbr")] == ["CSTO"]
    beta = html.parse(str(Path(app.outdir) / "beta.html"))
    links = beta.xpath("//a[contains(@href, 'glossary.html#term')]/@href")
    assert links == ["glossary.html#term-CSTO"]  # the one {term} role


def test_every_explicit_use_of_an_abbreviation_keeps_its_text(tmp_path: Path) -> None:
    """The second and later ``{term}`` uses of an abbreviation read as the abbreviation."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text('project = "Abbr"\nextensions = ["triptych"]\n')
    (source / "index.md").write_text(
        "# Abbr\n\nThe {term}`NATO` plans.\n\nAn adversary from the {term}`NATO` side.\n\n"
        "Unified {term}`C2` would help, and {term}`C2` again.\n\n"
        "```{toctree}\nglossary\n```\n"
    )
    (source / "glossary.md").write_text(
        "# Glossary\n\n```{glossary}\nNATO\nNorth Atlantic Treaty Organization\n"
        "  An alliance.\n\nC2\nCommand and control\n  Directing forces.\n```\n"
    )
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-W", "-q"]) == 0
    expected = ("An adversary from the NATO side.", "and C2 again.")
    page = visible_text(site_page(out, "index").getroot())
    chapter = " ".join("".join(epub_chapter_of(out, "abbr", "index").itertext()).split())
    printed = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(out / "pdf" / "abbr.pdf").pages
    )
    for edition, text in (("site", page), ("EPUB", chapter), ("PDF", printed)):
        for sentence in expected:
            assert sentence in text, (edition, sentence)
    abbreviations = site_page(out, "index").xpath("//abbr")
    assert abbreviations
    assert all(abbr.text_content().strip() for abbr in abbreviations)


def test_a_page_that_defines_terms_and_uses_them_uses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A guide that defines its terms in a list and refers to them in its prose (MyST's own
    typography page) uses them: it was warned that they were never used, which fails -W."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        'project = "Guide"\nextensions = ["triptych"]\n'
        'myst_enable_extensions = ["deflist", "attrs_block"]\n'
    )
    (source / "index.md").write_text("# Guide\n\n```{toctree}\nguide\n```\n")
    (source / "guide.md").write_text(
        "# Guide\n\n{.glossary}\nmy term\n: The definition of my term.\n\n"
        "The guide uses {term}`my term`.\n\n"
        "```{glossary}\nterm two\n  The definition of term two.\n```\n\n"
        "See {term}`term two`.\n"
    )
    out = tmp_path / "out"
    status = cli.main(["build", str(source), "-o", str(out), "-W", "-q"])
    assert status == 0, capsys.readouterr().err
    for backrefs in site_page(out, "guide").xpath("//p[@class='triptych-backrefs']"):
        (href,) = backrefs.xpath(".//a/@href")
        assert site_page(out, "guide").xpath(f"//*[@id='{href.removeprefix('#')}']")
    assert len(site_page(out, "guide").xpath("//p[@class='triptych-backrefs']")) == 2
    table, passed = report(audit_editions(out))
    assert passed, table


def epub_chapter_of(out: Path, slug: str, name: str) -> etree._Element:
    with zipfile.ZipFile(out / "epub" / f"{slug}.epub") as archive:
        return etree.fromstring(archive.read(f"EPUB/{name}.xhtml"))


def hidden_and_outside_uses(source: Path, *, include_todos: bool) -> None:
    """A term used in a todo, after it, on a page outside the book and on the root page."""
    source.mkdir()
    (source / "conf.py").write_text(
        'project = "Hidden uses"\nextensions = ["triptych", "sphinx.ext.todo"]\n'
        f"todo_include_todos = {include_todos}\n"
    )
    (source / "index.md").write_text(
        "# Home\n\nThe history is kept in git.\n\n```{toctree}\nnotes\nglossary\n```\n"
    )
    (source / "notes.md").write_text(
        "# Notes\n\n```{todo}\nExplain the branches of git here.\n```\n\n"
        "After the todo, git comes up again.\n"
    )
    (source / "extra.md").write_text(
        "---\norphan: true\n---\n\n# Extra\n\nThis page outside the book also mentions git.\n"
    )
    (source / "glossary.md").write_text(
        "# Glossary\n\n```{glossary}\ngit\n  A tool for version control.\n```\n"
    )


@pytest.mark.parametrize("include_todos", [False, True], ids=["todos-hidden", "todos-shown"])
def test_uses_no_edition_shows_are_not_back_referenced(
    tmp_path: Path, include_todos: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """A use inside a todo the writers skip, or on a page a book lacks, links nowhere there."""
    source = tmp_path / "src"
    hidden_and_outside_uses(source, include_todos=include_todos)
    out = tmp_path / "out"
    # -W: the EPUB warned of a back-reference to a page it does not hold.
    assert cli.main(["build", str(source), "-o", str(out), "-W", "-q"]) == 0

    # The use that carries the notes' anchor is the first one a reader sees.
    notes = site_page(out, "notes")
    (anchored,) = notes.xpath("//*[@id='term-git-use-1']")
    paragraph = anchored.xpath("ancestor::p[1]")[0].text_content()
    assert ("Explain the branches" in paragraph) is include_todos
    assert notes.xpath("//*[@id='term-git-use-2']") == []

    glossary = site_page(out, "glossary")
    site_refs = glossary.xpath("//p[@class='triptych-backrefs']//a/@href")
    assert sorted(map(str, site_refs)) == [
        "extra.html#term-git-use-1",  # the site has the page
        "index.html#term-git-use-1",
        "notes.html#term-git-use-1",
    ]

    with zipfile.ZipFile(out / "epub" / "hidden-uses.epub") as archive:
        chapter = etree.fromstring(archive.read("EPUB/glossary.xhtml"))
    (epub_line,) = chapter.xpath("//xhtml:p[@class='triptych-backrefs']", namespaces=NS)
    assert " ".join("".join(epub_line.itertext()).split()) == "Used in Home; Notes."
    epub_refs = epub_line.xpath(".//xhtml:a/@href", namespaces=NS)
    assert epub_refs == ["index.xhtml#term-git-use-1", "notes.xhtml#term-git-use-1"]

    printed = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(out / "pdf" / "hidden-uses.pdf").pages
    )
    (used_on,) = re.findall(r"Used on pages?[^.]*\.", printed)
    assert re.fullmatch(r"Used on pages \d+, \d+\.", used_on), used_on

    # The audit expects no word of a hidden todo, and compares back-references to the
    # pages each edition holds.
    assert cli.main(["check", str(out)]) == 0
    report_lines = capsys.readouterr().out
    assert "all editions agree" in report_lines, report_lines


def test_uses_in_ifconfig_blocks_sphinx_drops_are_not_back_referenced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sphinx.ext.ifconfig drops a block while writing: a use of a term there, under a false
    condition or one naming the edition, links nowhere in any edition."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        'project = "Conditions"\nextensions = ["triptych", "sphinx.ext.ifconfig"]\n'
        "show_drafts = False\n\ndef setup(app):\n"
        '    app.add_config_value("show_drafts", False, "env")\n'
    )
    (source / "index.md").write_text("# Home\n\n```{toctree}\nnotes\nglossary\n```\n")
    (source / "notes.md").write_text(
        "# Notes\n\n"
        "```{ifconfig} show_drafts\nA draft on the branches of git.\n```\n\n"
        "```{ifconfig} builder == 'html'\nOnly the site says git here.\n```\n\n"
        "```{ifconfig} not show_drafts\nThe published text names git.\n```\n"
    )
    (source / "glossary.md").write_text(
        "# Glossary\n\n```{glossary}\ngit\n  A tool for version control.\n```\n"
    )
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-W", "-q"]) == 0

    notes = site_page(out, "notes")
    assert "A draft" not in notes.getroot().text_content()
    uses = notes.xpath("//*[starts-with(@id, 'term-git-use-')]")
    # The first use a reader of every edition sees carries the anchor.
    assert [use.xpath("ancestor::p[1]")[0].text_content() for use in uses] == [
        "The published text names git."
    ]
    glossary = site_page(out, "glossary")
    site_refs = glossary.xpath("//p[@class='triptych-backrefs']//a/@href")
    assert list(map(str, site_refs)) == ["notes.html#term-git-use-1"]
    chapter = epub_chapter_of(out, "conditions", "glossary")
    epub_refs = chapter.xpath("//xhtml:p[@class='triptych-backrefs']//xhtml:a/@href", namespaces=NS)
    assert epub_refs == ["notes.xhtml#term-git-use-1"]
    printed = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(out / "pdf" / "conditions.pdf").pages
    )
    assert re.findall(r"Used on pages? \d+\.", printed)

    # The audit expects no word of a block no edition writes.
    assert cli.main(["check", str(out)]) == 0
    assert "every word of the sources in every edition" in capsys.readouterr().out
