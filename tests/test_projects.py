"""Jupyter Book and mystmd projects, built from their own project files, without a conf.py."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from outputs import Epub, epubcheck_messages, pdf_outline
from triptych import cli
from triptych.checks.audit import audit_editions

if TYPE_CHECKING:
    from pathlib import Path

BIBTEX = importlib.util.find_spec("sphinxcontrib.bibtex") is not None


@dataclass
class Built:
    source: Path
    out: Path
    status: int
    warnings: list[str]

    def page(self, docname: str) -> lxml_html.HtmlElement:
        return lxml_html.parse(str(self.out / "html" / f"{docname}.html")).getroot()

    def navigation(self) -> lxml_html.HtmlElement:
        """The site's contents, as the navigation file every page loads holds them."""
        script = (self.out / "html" / "_static" / "triptych-navigation.js").read_text("utf-8")
        line = next(line for line in script.splitlines() if "const contents = " in line)
        contents = json.loads(line.split("const contents = ", 1)[1].rstrip().rstrip(";"))
        return lxml_html.fromstring(f"<nav>{contents['tree']}</nav>")

    def text(self, docname: str) -> str:
        main = self.page(docname).xpath("//*[@role='main']")[0]
        return " ".join(main.text_content().split())


def build(root: Path, work: Path, *options: str) -> Built:
    """Copy a project to *work*, build it as a user would, and keep what it warned."""
    source = work / root.name.removeprefix("test-")
    shutil.copytree(root, source)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = cli.main(["build", str(source), "-o", str(work / "out"), "-q", *options])
    lines = [line for line in errors.getvalue().splitlines() if line.strip()]
    # Each problem is one line naming its file by its path in the project.
    return Built(source, work / "out", status, [line.replace(f"{source}/", "") for line in lines])


def pdf_text(reader: PdfReader, page: int) -> str:
    return " ".join(reader.pages[page].extract_text().split())


# --- mystmd -----------------------------------------------------------------------------

MYSTMD_ORDER = [
    "index", "background", "background/history", "background/treaties", "cases/baltic",
    "cases/region-north", "cases/region-south", "appendix",
]  # fmt: skip


@pytest.fixture(scope="module")
def mystmd(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(rootdir / "test-mystmd", tmp_path_factory.mktemp("mystmd"))


def test_mystmd_builds_with_one_located_warning_per_problem(mystmd: Built) -> None:
    assert mystmd.status == 0
    expected = [
        (
            "cases/baltic.md:3: WARNING: unknown directive {card}: shown as its text"
            " [triptych.unknown_syntax]"
        ),
        (
            "cases/baltic.md:7: WARNING: unknown role {glue:}: shown as its text"
            " [triptych.unknown_syntax]"
        ),
        (
            "myst.yml:27: WARNING: survey.ipynb: notebooks need myst-nb, which is not installed;"
            " skipped [triptych.project]"
        ),
        (
            "index.md:3: WARNING: xref:spec#treaty-record names a page of another project, which"
            " triptych cannot reach: shown as text [triptych.unknown_syntax]"
        ),
    ]
    if not BIBTEX:
        expected.append(
            "myst.yml:16: WARNING: citations need sphinxcontrib-bibtex, which is not installed:"
            " they show their keys and the bibliography is left out [triptych.project]"
        )
    assert sorted(mystmd.warnings[: len(expected)]) == sorted(expected)
    assert mystmd.warnings[len(expected) :] == []


def test_mystmd_every_document_in_every_edition_in_toc_order(mystmd: Built) -> None:
    for docname in MYSTMD_ORDER:
        assert (mystmd.out / "html" / f"{docname}.html").is_file()
    epub = Epub.open(mystmd.out / "epub" / "field-guide-to-alliances.epub")
    assert epub.spine[3:] == [f"EPUB/{docname}.xhtml" for docname in MYSTMD_ORDER]
    contents = [(title, depth) for title, _href, depth in epub.nav_toc()]
    expected = [
        ("About this guide", 1),
        ("Background", 1),
        ("A short history", 2),
        ("Early pacts", 3),
        ("Reading a treaty", 2),
        ("Case studies", 1),  # the toc's title group is a part
        ("The Baltic states", 2),
        ("The far north", 2),
        ("The southern flank", 2),
        ("Appendix", 1),
    ]
    if BIBTEX:
        expected.append(("References", 2))  # mystmd lists the works cited itself
    assert contents == expected

    reader = PdfReader(mystmd.out / "pdf" / "field-guide-to-alliances.pdf")
    outline = pdf_outline(reader)
    assert [(title, depth) for title, depth, _page in outline] == expected
    pages = {title: page for title, _depth, page in outline}
    # The part has a page of its own, just before its first chapter.
    assert pages["The Baltic states"] == pages["Case studies"] + 1
    assert pdf_text(reader, pages["Case studies"] - 1) == "Case studies"
    printed = pdf_text(reader, 2)  # after the title page and the imprint
    assert re.search(r"CASE STUDIES The Baltic states \.[ .]*\d+ The far north", printed), printed


def test_mystmd_editions_are_sound(mystmd: Built) -> None:
    audits = audit_editions(mystmd.out)
    assert {audit.edition for audit in audits} == {"html", "epub", "pdf"}
    assert [broken for audit in audits for broken in audit.broken] == []
    assert epubcheck_messages(mystmd.out / "epub" / "field-guide-to-alliances.epub") == []


def test_mystmd_title_authors_and_licence(mystmd: Built) -> None:
    title_page = pdf_text(PdfReader(mystmd.out / "pdf" / "field-guide-to-alliances.pdf"), 0)
    assert title_page.startswith(
        "Field Guide to Alliances How treaties hold, and why they fail "
        "Ada Okafor, Jonas Lindqvist, Mei Tanaka"
    )
    epub = Epub.open(mystmd.out / "epub" / "field-guide-to-alliances.epub")
    assert epub.metadata("title")[0] == "Field Guide to Alliances"
    assert epub.metadata("creator") == ["Ada Okafor", "Jonas Lindqvist", "Mei Tanaka"]
    assert epub.metadata("rights") == ["© 2026 The authors; licence: CC-BY-4.0"]


def test_mystmd_syntax_degrades_to_text(mystmd: Built) -> None:
    treaties = mystmd.page("background/treaties")
    (cell,) = treaties.xpath("//div[contains(@class, 'code-cell')]")
    assert "highlight-python" in cell.get("class")
    # Highlighted: the string is a token of its own.
    assert cell.xpath(".//span[@class='s2']/text()")[0] == '"mutual defence"'
    assert "print(len(articles))" in cell.text_content()
    # A cell whose author removed its input shows nothing.
    assert "secret_setup" not in mystmd.text("background/treaties")
    # The project's macro, expanded when read: every edition has the same TeX.
    assert treaties.xpath("//*[local-name()='math']/@alttext") == [r"\mathcal{T}"]

    index = mystmd.page("index")
    assert "the shared schema" in mystmd.text("index")
    assert not [href for href in index.xpath("//a/@href") if "xref" in href]
    baltic = mystmd.page("cases/baltic")
    (card,) = baltic.xpath("//div[contains(@class, 'triptych-unknown-syntax')]//pre")
    assert card.text_content().split("\n")[:2] == [
        "Membership",
        "Estonia, Latvia and Lithuania joined in 2004.",
    ]
    assert baltic.xpath("//code[contains(@class, 'triptych-unknown-syntax')]")[
        0
    ].text_content() == ("exercise_count")
    reader = PdfReader(mystmd.out / "pdf" / "field-guide-to-alliances.pdf")
    print_text = " ".join(pdf_text(reader, page) for page in range(len(reader.pages)))
    assert "Estonia, Latvia and Lithuania joined in 2004." in print_text
    assert "the shared schema" in print_text


def test_mystmd_citations(mystmd: Built) -> None:
    text = mystmd.text("background/treaties")
    if BIBTEX:
        assert "The Wording of Alliances" in mystmd.text("appendix")
        assert "[okafor2024]" not in text
    else:
        assert "[okafor2024]" in text


# --- Jupyter Book 1 ---------------------------------------------------------------------

JUPYTERBOOK_ORDER = [
    "intro", "chapters/springs", "chapters/alpine", "chapters/karst", "chapters/glaciers",
    "chapters/meanders", "chapters/delta-east", "chapters/delta-west",
]  # fmt: skip


@pytest.fixture(scope="module")
def jupyterbook(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(rootdir / "test-jupyterbook", tmp_path_factory.mktemp("jupyterbook"))


def test_jupyterbook_builds_with_located_warnings(jupyterbook: Built) -> None:
    assert jupyterbook.status == 0
    expected = [
        (
            "_config.yml:18: WARNING: extension sphinx.ext.intersphinx is not loaded: it fetches"
            " inventories over the network [triptych.project]"
        ),
        (
            "_toc.yml:19: WARNING: chapters/estuaries: no such document; left out of the contents"
            " [triptych.project]"
        ),
    ]
    if not BIBTEX:
        expected.append(
            "_config.yml:8: WARNING: citations need sphinxcontrib-bibtex, which is not installed:"
            " they show their keys and the bibliography is left out [triptych.project]"
        )
    assert sorted(jupyterbook.warnings) == sorted(expected)


def test_jupyterbook_parts_numbers_and_nesting(jupyterbook: Built) -> None:
    for docname in JUPYTERBOOK_ORDER:
        assert (jupyterbook.out / "html" / f"{docname}.html").is_file()
    epub = Epub.open(jupyterbook.out / "epub" / "rivers-of-the-north.epub")
    assert epub.spine[3:] == [f"EPUB/{docname}.xhtml" for docname in JUPYTERBOOK_ORDER]
    expected = [
        ("Sources", 1),
        ("1. Springs", 2),
        ("1.1. Measuring a spring", 3),
        # Section files come after the chapter's own sections, numbered after them.
        ("1.2. Alpine springs", 3),
        ("1.3. Karst springs", 3),
        ("2. Glaciers", 2),
        ("Courses", 1),
        ("Meanders and bends", 2),  # the title the contents give it
        ("The eastern delta", 2),
        ("The western delta", 2),
    ]
    assert [(title, depth) for title, _href, depth in epub.nav_toc()] == expected

    reader = PdfReader(jupyterbook.out / "pdf" / "rivers-of-the-north.pdf")
    outline = [(title, depth) for title, depth, _page in pdf_outline(reader)]
    # Bookmarks follow the headings, which keep their own words.
    assert outline == [
        (title.replace("Meanders and bends", "Meanders"), depth) for title, depth in expected
    ]
    printed = pdf_text(reader, 2)  # after the title page and the imprint
    assert re.search(r"^Contents SOURCES 1\. Springs \.[ .]*6 ", printed), printed
    assert re.search(r"COURSES Meanders and bends \.[ .]*\d+ The eastern delta", printed), printed

    # The site shows the contents where the root asks for them, with the part captions.
    intro = jupyterbook.page("intro")
    main = intro.xpath("//*[@role='main']")[0]
    assert main.xpath(".//p[@class='caption']//text()") == ["Sources", "Courses"]
    assert main.xpath(".//a[@href='https://example.org/atlas']/text()") == ["A river atlas"]


def test_jupyterbook_editions_are_sound(jupyterbook: Built) -> None:
    audits = audit_editions(jupyterbook.out)
    assert [broken for audit in audits for broken in audit.broken] == []
    assert epubcheck_messages(jupyterbook.out / "epub" / "rivers-of-the-north.epub") == []


def test_jupyterbook_metadata_math_and_citations(jupyterbook: Built) -> None:
    title_page = pdf_text(PdfReader(jupyterbook.out / "pdf" / "rivers-of-the-north.pdf"), 0)
    assert title_page.startswith("Rivers of the North Ada Okafor, Jonas Lindqvist")
    epub = Epub.open(jupyterbook.out / "epub" / "rivers-of-the-north.epub")
    assert epub.metadata("creator") == ["Ada Okafor", "Jonas Lindqvist"]
    assert epub.metadata("rights") == ["© 2026"]
    springs = jupyterbook.page("chapters/springs")
    assert springs.xpath("//*[local-name()='math']/@alttext") == [r"\dot{Q}"]
    karst = jupyterbook.text("chapters/karst")
    if BIBTEX:
        assert "Storage in karst aquifers" in jupyterbook.text("chapters/delta-west")
        assert "[lindqvist2023]" not in karst
    else:
        assert "[lindqvist2023]" in karst


# --- Project files that cannot be read --------------------------------------------------


@pytest.mark.parametrize(
    ("files", "location", "message"),
    [
        (
            {"myst.yml": "version: 1\nproject:\n  toc:\n    - file: index.md\n   - file: b.md\n"},
            "myst.yml:5",
            "project file: while parsing a block mapping, expected <block end>, but found",
        ),
        ({"myst.yml": "- a list\n"}, "myst.yml:1", "project file: myst.yml must be a mapping"),
        ({"_toc.yml": "format: jb-book\nchapters: []\n"}, "_toc.yml:1", "names no root document"),
        (
            {"_toc.yml": "format: jb-book\n\nroot: welcome\n"},
            "_toc.yml:3",
            "project file: root welcome: no such document",
        ),
        (
            {"_config.yml": "title: [unclosed\n", "_toc.yml": "root: index\n"},
            "_config.yml:2",
            "project file: while parsing a flow sequence",
        ),
    ],
)
def test_an_unreadable_project_file_is_one_line(
    tmp_path: Path, files: dict[str, str], location: str, message: str
) -> None:
    source = tmp_path / "book"
    source.mkdir()
    (source / "index.md").write_text("# A book\n\nText.\n")
    for name, text in files.items():
        (source / name).write_text(text)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = cli.main(["build", str(source), "-o", str(tmp_path / "out"), "-q"])
    assert status == 2
    (line,) = errors.getvalue().splitlines()
    assert line.startswith(f"{source / location}: error: ")
    assert message in line
    assert not (tmp_path / "out" / "html").exists()


# --- What real projects do --------------------------------------------------------------


def write_project(source: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return source


def test_links_to_nowhere_are_text_and_the_pdf_is_made(tmp_path: Path) -> None:
    """A README included in the docs links to repository files the docs do not hold."""
    write_project(
        tmp_path / "project",
        {
            "myst.yml": "version: 1\nproject:\n  title: Links\n",
            "index.md": (
                "# Links\n\nSee [the context](CONTEXT.md), [the examples](examples/) and\n"
                "[the measuring section](other.md#messen-wir-das) and "
                "[the slug](other.md#ein-abschnitt-über-flüsse).\n"
            ),
            "other.md": "# Other\n\n## Ein Abschnitt über Flüsse\n\nText.\n",
        },
    )
    built = build(tmp_path / "project", tmp_path / "work")
    assert built.status == 0, built.warnings
    assert sorted(built.warnings) == sorted(
        [
            (
                "index.md:3: WARNING: 'myst' cross-reference target not found: 'CONTEXT.md'"
                " [myst.xref_missing]"
            ),
            (
                "index.md:3: WARNING: 'myst' cross-reference target not found: 'examples/'"
                " [myst.xref_missing]"
            ),
            (
                "index.md:3: WARNING: other.md has no heading or label 'messen-wir-das': the link goes"
                " to the document [triptych.unknown_syntax]"
            ),
        ]
    )
    index = built.page("index")
    assert [a.text_content() for a in index.xpath("//section//p//a")] == [
        "the measuring section",
        "the slug",
    ]
    hrefs = index.xpath("//section//p//a/@href")
    assert hrefs[0] == "other.html"
    # A heading is linked by its slug, as in mystmd, whatever its script.
    (section,) = built.page("other").xpath("//section[h2]")
    assert hrefs[1] == f"other.html#{section.get('id')}"
    assert "the context" in built.text("index")
    assert [a.broken for a in audit_editions(built.out)] == [[], [], []]


def test_inventory_links_no_inventory_holds_keep_their_words(tmp_path: Path) -> None:
    """No inventory is fetched unless the configuration allows it: MyST warned of an ``inv:``
    link it could not match and kept nothing of it, so its words left every edition."""
    write_project(
        tmp_path / "project",
        {
            "conf.py": 'project = "Inventories"\nextensions = ["triptych"]\n',
            "index.md": (
                "# Inventories\n\nMost [docutils roles](inv:#roles), <inv:sphinx#directives>"
                " and [the ref role](inv:sphinx:std:role#ref) can be used.\n"
            ),
        },
    )
    built = build(tmp_path / "project", tmp_path / "work")
    assert built.status == 0, built.warnings
    assert [line.split(": ", 1)[0] for line in built.warnings] == ["index.md:3"] * 3
    sentence = "Most docutils roles, directives and the ref role can be used."
    assert sentence in " ".join(built.text("index").split())
    pdf = PdfReader(built.out / "pdf" / "inventories.pdf")
    assert sentence in " ".join(page.extract_text() for page in pdf.pages).replace("\n", " ")
    chapter = Epub.open(next((built.out / "epub").glob("*.epub"))).xhtml("EPUB/index.xhtml")
    assert sentence in " ".join(chapter.xpath("string(//*[local-name() = 'body'])").split())


def test_a_toc_url_to_mystmd_site_is_left_out(tmp_path: Path) -> None:
    write_project(
        tmp_path / "project",
        {
            "myst.yml": (
                "version: 1\nproject:\n  title: Site links\n  toc:\n    - file: index.md\n"
                "    - title: API\n      url: /api/index.html\n"
                "    - url: https://example.org/api\n      title: The API\n"
            ),
            "index.md": "# Site links\n\nText.\n",
        },
    )
    built = build(tmp_path / "project", tmp_path / "work", "-f", "html")
    assert built.status == 0
    assert sorted(built.warnings) == sorted(
        [
            (
                "myst.yml:6: WARNING: /api/index.html: a page of the site mystmd builds, not of this"
                " publication; left out [triptych.project]"
            )
        ]
    )
    assert built.navigation().xpath("//a[@href='https://example.org/api']/text()") == ["The API"]


def test_rst_an_extension_would_render_is_kept_as_text(tmp_path: Path) -> None:
    """A Jupyter Book's API pages are reST for autodoc, which is not run."""
    write_project(
        tmp_path / "project",
        {
            "_toc.yml": "format: jb-book\nroot: intro\nchapters:\n  - file: api\n",
            "intro.md": "# A package\n\nIts documentation.\n",
            "api.rst": (
                "API\n===\n\n.. autoclass:: package.Reader\n   :members:\n\n"
                ".. prf:theorem:: Fermat\n\n   No three positive integers.\n\n"
                "It reads :py:obj:`a file` and :unknown-role:`the rest`.\n"
            ),
            "notes.ipynb": "{}\n",
        },
    )
    built = build(tmp_path / "project", tmp_path / "work", "-f", "html")
    assert built.status == 0, built.warnings
    assert sorted(built.warnings) == sorted(
        [
            (
                "notes.ipynb:1: WARNING: notes.ipynb: notebooks need myst-nb, which is not installed;"
                " skipped [triptych.project]"
            ),
            (
                "api.rst:4: WARNING: unknown directive {autoclass}: shown as its text"
                " [triptych.unknown_syntax]"
            ),
            (
                "api.rst:7: WARNING: unknown directive {prf:theorem}: shown as its text"
                " [triptych.unknown_syntax]"
            ),
            (
                "api.rst:11: WARNING: unknown role {unknown-role}: shown as its text"
                " [triptych.unknown_syntax]"
            ),
        ]
    )
    blocks = [pre.text_content() for pre in built.page("api").xpath("//pre")]
    assert blocks == ["package.Reader\n:members:\n", "Fermat\nNo three positive integers.\n"]
    assert "the rest" in built.text("api")


def test_a_toc_entry_naming_a_notebook_is_reported_once(tmp_path: Path) -> None:
    write_project(
        tmp_path / "project",
        {
            "_toc.yml": (
                "format: jb-book\nroot: intro\nchapters:\n  - file: tour\n    sections:\n"
                "      - file: tour/demo\n"
            ),
            "intro.md": "# Book\n\nText.\n",
            "tour.md": "# Tour\n\n```{tableofcontents}\n```\n\nThe tour.\n",
            "tour/demo.ipynb": "{}\n",
        },
    )
    built = build(tmp_path / "project", tmp_path / "work", "-f", "html")
    assert built.status == 0
    assert sorted(built.warnings) == sorted(
        [
            (
                "_toc.yml:6: WARNING: tour/demo: notebooks need myst-nb, which is not installed; skipped"
                " [triptych.project]"
            )
        ]
    )
    # The tour lists nothing readable: its contents show nothing, and nothing else is lost.
    assert built.text("tour").endswith("Tour¶ The tour.")
