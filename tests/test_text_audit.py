"""The text audit of ``triptych check``: every word of the sources in every edition, in order.

A publication with every construct that carries text is built once; the audit
must pass on it, and must catch a word dropped from each edition and a
sentence moved in one, naming the author's file and line.
"""

from __future__ import annotations

import itertools
import re
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes
from lxml import html

from triptych import cli
from triptych.builders.ebook import EbookBuilder
from triptych.builders.pdf import PdfBuilder
from triptych.builders.text_changes import ASIDES, BUILDER
from triptych.checks import text
from triptych.checks.text import audit_text, normalised, pdf_tokens, unmatched
from triptych.documents import unwritten_nodes

ROOT = Path(__file__).parent / "roots" / "test-faithful"
SLUG = "faithful-test-book"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("faithful")
    shutil.copytree(ROOT, work / "source")
    assert cli.main(["build", str(work / "source"), "-o", str(work / "out"), "-W", "-q"]) == 0
    return work / "out"


@pytest.fixture
def damaged(built: Path, tmp_path: Path) -> Path:
    """A copy of the built editions, to be damaged by a test."""
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    return copy


def source_line(name: str, phrase: str) -> int:
    """The line of the test publication's file *name* on which *phrase* is written."""
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if phrase in line)


def check(outdir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = cli.main(["check", str(outdir)])
    return status, capsys.readouterr().out.splitlines()


def missing_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if " of the source " in line]


def replace_once(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1, old
    path.write_text(content.replace(old, new), encoding="utf-8")


# --- the audit passes on a faithful build -------------------------------------------------


def test_every_word_reaches_every_edition(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = check(built, capsys)
    assert status == 0, "\n".join(lines)
    summaries = {line.split()[1]: line for line in lines if line.startswith("text ")}
    assert set(summaries) == {"site", "pdf", "epub", "articles"}
    for summary in summaries.values():
        assert summary.endswith(" 0 missing") or " 0 missing (" in summary
    assert "4 documents" in summaries["site"]
    assert "(17 replaced by the title page)" in summaries["pdf"]
    assert missing_lines(lines) == []


def test_the_source_words_cover_every_construct(built: Path) -> None:
    audits = {audit.edition: audit for audit in audit_text(built)}
    assert all(audit.words > 300 for audit in audits.values())
    assert all(not audit.missing for audit in audits.values())
    reader = text.SourceReader("site", front_matter="index")
    publication = text.Publication.load(built / "doctrees")
    words = {
        docname: [word.written for word in reader.words(docname, doctree).expected]
        for docname, doctree in publication.doctrees.items()
    }
    structures = " ".join(words["structures"])
    for phrase in (
        "a numbered item at the third level",  # a list in a list in a list
        "Members and their votes",  # a table's title
        "Member Votes Remark",  # its header
        "Herm whose long name in this cell wraps",
        "pipe table cell",
        "A square caption",  # a figure's caption and legend
        "A legend paragraph",
        "Ballot A written vote",  # a definition list
        "A block quotation",
        "H2O and E mc2",  # subscript and superscript
        "with inline code",
        "Counting the votes def tally ballots",  # a code block with its caption
        "a 2 b 2 c 2",  # inline math, as written
        "sum_ i 1 n votes_i geq quorum",  # display math
    ):
        assert phrase in structures, phrase
    notes = " ".join(words["notes"])
    for phrase in (
        "A note reminding",
        "A warning that",
        "A titled admonition The body",
        "A tip written",
        "A footnote naming the teller",
        "A sentence for the site alone",
    ):
        assert phrase in notes, phrase
    # Each edition reads its own {only} blocks.
    assert "A sentence for the PDF alone" not in notes
    pdf_notes = text.SourceReader("pdf", front_matter="index").words(
        "notes", publication.doctrees["notes"]
    )
    assert "alone" in [word.written for word in pdf_notes.expected]
    assert "WHO World Health Organization The United Nations" in " ".join(words["glossary"])
    # The byline is the site's to print; the PDF and the EPUB declare their title page prints
    # it instead.
    assert "Written by Ada Writer" in " ".join(words["index"])
    book_index = text.SourceReader("epub", front_matter="index").words(
        "index", publication.doctrees["index"]
    )
    replaced = " ".join(word.written for word in book_index.replaced["the title page"])
    assert replaced == (
        "Faithful Test Book Every construct that carries text "
        "Written by Ada Writer on the second of March"
    )


def test_the_declarations_name_the_builders_and_what_they_make(built: Path) -> None:
    builders = {"site": "html", "pdf": PdfBuilder.name, "epub": EbookBuilder.name}
    assert builders | {"articles": PdfBuilder.name} == BUILDER
    # The term previews the site declares outside the reading flow are in its pages.
    page = html.parse(str(built / "html" / "structures.html"))
    classes = {token for value in page.xpath("//@class") for token in str(value).split()}
    assert ASIDES["site"] <= classes


# --- the audit catches what an edition lost -----------------------------------------------


def where(outdir: Path, name: str, phrase: str) -> str:
    """``file:line`` of *phrase* in the sources the build of *outdir* read."""
    return f"{outdir.parent / 'source' / name}:{source_line(name, phrase)}"


def rewrite_epub_chapter(epub: Path, chapter: str, old: str, new: str) -> None:
    """Rewrite one chapter inside the EPUB, every other entry kept as it was."""
    entries: list[tuple[zipfile.ZipInfo, bytes]] = []
    with zipfile.ZipFile(epub) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == chapter:
                assert data.count(old.encode()) == 1
                data = data.replace(old.encode(), new.encode())
            entries.append((info, data))
    with zipfile.ZipFile(epub, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)


def test_a_word_dropped_from_the_site(
    built: Path, damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_once(
        damaged / "html" / "notes.html", "written with a colon fence", "written with a fence"
    )
    status, lines = check(damaged, capsys)
    assert status == 1
    assert missing_lines(lines) == [
        (
            f"{where(built, 'notes.md', 'A tip written')}: "
            '1 word of the source is missing from the site: "colon"'
        )
    ]


def test_words_dropped_from_the_epub(
    built: Path, damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    epub = damaged / "epub" / f"{SLUG}.epub"
    rewrite_epub_chapter(epub, "EPUB/notes.xhtml", "\u2019s secretariat.", "\u2019s.")
    # A glossary's definitions are numbered past its options (:sorted:).
    rewrite_epub_chapter(epub, "EPUB/glossary.xhtml", "counts the ballots.", "counts the.")
    status, lines = check(damaged, capsys)
    assert status == 1
    assert missing_lines(lines) == [
        (
            f"{where(built, 'notes.md', '[^who]:')}: "
            '1 word of the source is missing from the EPUB: "secretariat"'
        ),
        (
            f"{where(built, 'glossary.md', 'counts the ballots')}: "
            '1 word of the source is missing from the EPUB: "ballots"'
        ),
    ]


def test_a_word_dropped_from_the_pdf(
    built: Path, damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from weasyprint import CSS, HTML

    from triptych.builders import asset_path

    staging = built / "doctrees" / "triptych-pdf"
    print_html = (staging / f"{SLUG}.html").read_text(encoding="utf-8")
    assert print_html.count("Brecqhou") == 1
    HTML(string=print_html.replace("Brecqhou", ""), base_url=staging.as_uri() + "/").write_pdf(
        damaged / "pdf" / f"{SLUG}.pdf", stylesheets=[CSS(filename=str(asset_path("print.css")))]
    )
    status, lines = check(damaged, capsys)
    assert status == 1
    assert missing_lines(lines) == [
        (
            f"{where(built, 'structures.md', 'Brecqhou')}: "
            '1 word of the source is missing from the PDF: "Brecqhou"'
        )
    ]


def test_a_sentence_moved_on_the_site(
    built: Path, damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = "The first sentence of this paragraph stands alone on its line."
    second = "A second, longer sentence follows it on the next line of the source file."
    replace_once(damaged / "html" / "structures.html", f"{first}\n{second}", f"{second}\n{first}")
    status, lines = check(damaged, capsys)
    assert status == 1
    # Read in order, the shorter sentence is the one out of place.
    assert missing_lines(lines) == [
        (
            f"{where(built, 'structures.md', 'The first sentence')}: "
            f'11 words of the source are missing from the site: "{first.removesuffix(".")}"'
        )
    ]


def test_a_missing_page_is_every_word_of_its_document(
    built: Path, damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (damaged / "html" / "notes.html").unlink()
    status, lines = check(damaged, capsys)
    assert status == 1
    (line,) = missing_lines(lines)
    assert line.startswith(f"{where(built, 'notes.md', '# Notes and asides')}: ")
    assert " words of the source are missing from the site: " in line


def test_without_doctrees_the_audit_says_so(
    damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(damaged / "doctrees")
    assert cli.main(["check", str(damaged)]) == 2
    error = capsys.readouterr().err
    assert "environment.pickle: not found" in error
    assert "--no-text" in error
    assert cli.main(["check", str(damaged), "--no-text"]) == 0


# --- the pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("include_todos", "expected"),
    [
        (False, "Before the todo After it"),
        (True, "Before the todo Explain the branches here After it"),
    ],
)
def test_words_no_writer_writes_are_not_expected(include_todos: bool, expected: str) -> None:
    """A todo's words are expected only when the build writes todos (``todo_include_todos``)."""
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document
    from sphinx.ext.todo import todo_node

    document = new_document("notes.md", get_default_settings(Parser))
    todo = todo_node("", nodes.paragraph("", "Explain the branches here."))
    document += [nodes.paragraph("", "Before the todo."), todo, nodes.paragraph("", "After it.")]
    config = SimpleNamespace(todo_include_todos=include_todos)
    reader = text.SourceReader("pdf", front_matter=None, unwritten=unwritten_nodes(config))  # type: ignore[arg-type]
    assert " ".join(word.written for word in reader.words("notes", document).expected) == expected


def test_hyphenated_words_are_made_whole() -> None:
    vocabulary = {"integration", "dependence", "respond", "pre", "positioning"}
    pages = [
        (
            "the integra\u2010\ntion of forces and pre-\npositioning, then re\u2010\n"
            "gional effects, more depend\u2010\nRunning Head\n7"
        ),
        "ence, and absorb and re\u2010\nspond",
    ]
    tokens = pdf_tokens(pages, vocabulary)
    assert tokens == [
        "the", "integration", "of", "forces", "and", "pre", "positioning", "then",
        # An addition's hyphen joins nothing of the source, and takes no later line's word.
        "re", "gional", "effects", "more", "dependence", "running", "head", "7",
        "and", "absorb", "and", "respond",
    ]  # fmt: skip


def test_hyphens_the_author_wrote_are_kept_at_line_ends() -> None:
    pages = ["the pre-\ncommit hook and a re\u2010\nview"]
    vocabulary = {"the", "pre", "commit", "precommit", "hook", "and", "a", "review"}
    # The source writes "precommit" and "review" only: the line ends hyphenate them.
    assert pdf_tokens(pages, vocabulary) == [
        "the", "precommit", "hook", "and", "a", "review"
    ]  # fmt: skip
    # It writes "pre-commit" only: the hyphen is the author's, the words stay two.
    assert pdf_tokens(pages, vocabulary - {"precommit"}, {("pre", "commit")}) == [
        "the", "pre", "commit", "hook", "and", "a", "review"
    ]  # fmt: skip
    # Both: the words around the break tell which, else the hyphen printed does.
    neighbours = {("the", "pre"), ("pre", "commit"), ("commit", "hook"), ("the", "precommit")}
    assert pdf_tokens(pages, vocabulary, {("pre", "commit")}, neighbours)[:4] == [
        "the", "pre", "commit", "hook"
    ]  # fmt: skip
    neighbours = {("pre", "commit"), ("the", "precommit"), ("precommit", "hook")}
    assert pdf_tokens(pages, vocabulary, {("pre", "commit")}, neighbours)[:3] == [
        "the", "precommit", "hook"
    ]  # fmt: skip
    both = {("pre", "commit")}
    assert pdf_tokens(pages, vocabulary, both)[:3] == ["the", "pre", "commit"]
    layout_hyphen = [pages[0].replace("pre-", "pre\u2010")]
    assert pdf_tokens(layout_hyphen, vocabulary, both)[:3] == ["the", "precommit", "hook"]


def test_a_hyphenated_word_broken_at_its_hyphen(tmp_path: Path) -> None:
    """A PDF line ending in "pre-" and the next beginning "commit", in an article that
    also writes "precommit": the hyphen is the author's, the words are not missing."""
    source = tmp_path / "hooks"
    source.mkdir()
    fillers = ["runs", "style", "fewer", "see", "tool", "time", "nits", "checks", "reviewers"]
    paragraph = " ".join(
        f"{fillers[index % len(fillers)]} {fillers[index * 7 % len(fillers)]} pre-commit"
        for index in range(120)
    )
    (source / "index.md").write_text("# Hooks\n\n```{toctree}\nhooks\n```\n")
    (source / "hooks.md").write_text(
        f"# Hooks\n\n{paragraph}.\n\nThe package is called precommit.\n"
    )
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W", "-f", "pdf"]) == 0
    lines = "\n".join(text.pdf_page_texts(out / "pdf" / "hooks.pdf")).splitlines()
    assert any(
        line.endswith(" pre-") and following.startswith("commit")
        for line, following in itertools.pairwise(lines)
    ), "no line of the test breaks after pre-"
    audits = audit_text(out)
    assert {audit.edition for audit in audits} == {"pdf", "articles"}
    for audit in audits:
        assert audit.words > 300, audit.edition
        assert audit.missing == [], (audit.edition, [p.line() for p in audit.missing])


def test_words_are_matched_in_order() -> None:
    source = normalised("the war in Ukraine reshaped the calculus")
    assert unmatched(source, normalised("the war in Ukraine (p. 7) reshaped the calculus")) == []
    assert unmatched(source, normalised("the war in Ukraine reshaped calculus")) == [5]
    assert unmatched(source, normalised("reshaped the calculus, the war in Ukraine")) != []
    assert normalised("Russia\u2019s \ufb01rst H\u00adO") == ["russia", "s", "first", "ho"]


AUTODOC_MODULE = '''
from __future__ import annotations


def define(maybe_cls: type | None = None, *, these: dict[str, int] | None = None,
           repr: bool | None = None, frozen: bool = False) -> type:
    """Decorate a class, making it tidy."""


class Field:
    """One field of a class."""

    def evolve(self, **changes: object) -> Field:
        """A copy, with *changes* applied."""
'''


def test_signatures_read_as_the_editions_print_them(tmp_path: Path) -> None:
    """Parameters are printed apart, in brackets and with commas the doctree does not hold."""
    source = tmp_path / "api"
    source.mkdir()
    (source / "tidy.py").write_text(AUTODOC_MODULE)
    (source / "conf.py").write_text(
        "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
        'project = "Api"\nextensions = ["myst_parser", "sphinx.ext.autodoc"]\n'
    )
    (source / "index.md").write_text("# Api\n\n```{toctree}\nreference\n```\n")
    (source / "reference.md").write_text(
        "# Reference\n\n```{eval-rst}\n.. autofunction:: tidy.define\n\n"
        ".. autoclass:: tidy.Field\n   :members:\n```\n"
    )
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W"]) == 0
    audits = audit_text(out)
    assert {audit.edition for audit in audits} >= {"site", "pdf", "epub"}
    for audit in audits:
        assert audit.words > 20, audit.edition
        assert audit.missing == [], (audit.edition, audit.missing)


def test_footnote_calls_and_line_breaks_against_words(tmp_path: Path) -> None:
    """Print raises a footnote's bare label against the word it follows; a hard line
    break ends a word without a space after it; an ``any`` reference prints a title;
    a link to another article ends in a word's last letters."""
    source = tmp_path / "notes"
    source.mkdir()
    (source / "index.md").write_text(
        "# Notes\n\nThe gauge reads in Pascal[^unit] and the port is 8080[^port], as in"
        " `serve`[^cmd] or **serve**[^cmd].\n\nFirst the valve or\\\nthe `pump`, then the drain.\n\n"
        "Fittings are in {any}`fittings`.\n\n"
        "[^unit]: A unit of pressure.\n[^port]: Any free port.\n[^cmd]: A command.\n"
        "\n```{toctree}\nfittings\nvalves\n```\n"
    )
    # An ``any`` reference to a document prints the document's title.
    (source / "fittings.md").write_text(
        "# Couplings and seals\n\nWashers, nuts, and [valve](valves.md)s too.\n"
    )
    (source / "valves.md").write_text("# Taps\n\nOpen, shut.\n")
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W"]) == 0
    # The text of the page reads each label as part of its word.
    pdf_text = " ".join(text.pdf_page_texts(out / "pdf" / "notes.pdf"))
    assert {"Pascal1", "80802", "serve3"} <= set(normalised_words(pdf_text))
    # The page, or in an article's PDF the article's title, follows the word a link ends in.
    assert re.search(r"valves \(p\. \d+\) too", pdf_text), pdf_text
    article = " ".join(
        " ".join(text.pdf_page_texts(out / "pdf" / "articles" / "fittings.pdf")).split()
    )
    assert re.search(r"valves \((p\. \d+|Taps)\) too", article), article
    audits = audit_text(out)
    assert {audit.edition for audit in audits} == {"site", "pdf", "epub", "articles"}
    for audit in audits:
        assert audit.words > 3, audit.edition
        assert audit.missing == [], (audit.edition, audit.missing)


def normalised_words(text: str) -> list[str]:
    return [word.strip(".,") for word in text.split()]


def test_repeated_sentences_around_generated_titles(tmp_path: Path) -> None:
    """Sentences repeated word for word, each ending in a reference the editions print as its
    target's title, with headings that repeat those titles: the audit must not read a run of
    words across a title the source does not hold."""
    source = tmp_path / "moved"
    source.mkdir()
    topics = {
        "https": "HTTPS Certificates",
        "caching": "Caching",
        "secure": "Secure installs",
        "local": "Local project installs",
        "build": "Build System Interface",
    }
    moved = [
        ("SSL Certificate Verification", "https"),
        ("Caching", "caching"),
        ("Wheel Cache", "caching"),
        ("Hash checking mode", "secure"),
        ("Local Project Installs", "local"),
        ("Editable installs", "local"),
        ("Build System Interface", "build"),
    ]
    body = "".join(
        f"```{{rubric}} {heading}\n```\n\nThe details now live in {{doc}}`{target}`.\n\n"
        for heading, target in moved
    )
    (source / "index.md").write_text(
        "# Moved pages\n\n" + body + "```{toctree}\n" + "\n".join(topics) + "\n```\n"
    )
    for name, title in topics.items():
        (source / f"{name}.md").write_text(f"# {title}\n\nWhat {name} are for.\n")
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W"]) == 0
    for audit in audit_text(out):
        assert audit.missing == [], (audit.edition, [p.line() for p in audit.missing])
