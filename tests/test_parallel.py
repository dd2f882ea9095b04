"""Reading and writing in parallel gives the same editions as doing it serially."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

import pytest
from lxml import html
from pypdf import PdfReader

from outputs import Epub, triptych_build
from triptych.checks.audit import audit_editions, report

if TYPE_CHECKING:
    from pathlib import Path


def build(rootdir: Path, work: Path, jobs: str) -> Path:
    # Eight articles and a glossary: Sphinx only reads in parallel from six documents on.
    return triptych_build(rootdir / "test-parallel", work, "-j", jobs)


@pytest.fixture(scope="module")
def serial(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(rootdir, tmp_path_factory.mktemp("serial"), "1")


@pytest.fixture(scope="module")
def parallel(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(rootdir, tmp_path_factory.mktemp("parallel"), "2")


def test_parallel_epub_is_identical(serial: Path, parallel: Path) -> None:
    assert (parallel / "epub" / "parallel.epub").read_bytes() == (
        serial / "epub" / "parallel.epub"
    ).read_bytes()
    epub = Epub.open(parallel / "epub" / "parallel.epub")
    # cover, title page and contents; the root, 8 parts, glossary; the book's index
    assert len(epub.spine) == 3 + 10 + 1
    assert epub.check_links().broken == []


def test_parallel_pdf_is_identical(serial: Path, parallel: Path) -> None:
    assert (parallel / "pdf" / "parallel.pdf").read_bytes() == (
        serial / "pdf" / "parallel.pdf"
    ).read_bytes()
    text = "".join(
        page.extract_text() for page in PdfReader(parallel / "pdf" / "parallel.pdf").pages
    )
    for number in range(1, 9):
        assert f"Fig. {number} Square number {number}." in text


def test_parallel_html_pages_are_identical(serial: Path, parallel: Path) -> None:
    for page in sorted((serial / "html").glob("*.html")):
        assert (parallel / "html" / page.name).read_text() == page.read_text(), page.name


def test_parallel_glossary_has_every_back_reference(parallel: Path) -> None:
    glossary = html.parse(str(parallel / "html" / "glossary.html"))
    # Each part names its own term and the next one's: two back-references per term.
    for number in range(1, 9):
        entry = glossary.xpath(f"//dt[@id='term-Term-{number}']/following-sibling::dd[1]")[0]
        assert len(entry.xpath(".//p[@class='triptych-backrefs']//a")) == 2
    table, passed = report(audit_editions(parallel))
    assert passed, table


#: An extension as sphinx-proof 0.4 is: safe for parallel reading, by its word, with a
#: domain that cannot merge what the reading processes found.
MERGELESS_EXTENSION = """
from docutils import nodes
from sphinx.domains import Domain
from sphinx.util.docutils import SphinxDirective


class NoteDomain(Domain):
    name = "notes"
    initial_data = {"notes": {}}

    def clear_doc(self, docname):
        self.data["notes"].pop(docname, None)


class NoteDirective(SphinxDirective):
    has_content = True

    def run(self):
        self.env.get_domain("notes").data["notes"][self.env.docname] = "\\\\n".join(self.content)
        return [nodes.paragraph(text="Noted: " + " ".join(self.content))]


def setup(app):
    app.add_domain(NoteDomain)
    app.add_directive("note-down", NoteDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


def test_an_extension_whose_domain_cannot_merge_is_read_serially(
    rootdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from triptych import cli

    source = tmp_path / "src"
    shutil.copytree(rootdir / "test-parallel", source)
    (source / "mergeless_notes.py").write_text(MERGELESS_EXTENSION)
    conf = source / "conf.py"
    conf.write_text(
        "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent))\n"
        + conf.read_text().replace('["triptych"]', '["triptych", "mergeless_notes"]')
    )
    for number in range(1, 9):
        part = source / f"part-{number}.md"
        part.write_text(part.read_text() + f"\n```{{note-down}}\nPart {number} noted.\n```\n")
    status = cli.main(["build", str(source), "-o", str(tmp_path / "out"), "-j", "2", "-q"])
    messages = capsys.readouterr().err
    assert status == 0, messages
    assert "KeyError" not in messages
    assert "mergeless_notes extension is not safe for parallel reading" in messages
    page = html.parse(str(tmp_path / "out" / "html" / "part-8.html"))
    assert "Noted: Part 8 noted." in page.getroot().text_content()


CRASHING_EXTENSION = """
from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class crash(nodes.General, nodes.Element):
    pass


def visit_crash(translator, node):
    raise ValueError("the crash visitor gave up")


class Crash(SphinxDirective):
    def run(self):
        return [crash()]


def setup(app):
    app.add_node(crash, html=(visit_crash, lambda translator, node: None))
    app.add_directive("crash", Crash)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


def test_an_error_in_a_parallel_process_names_its_file_line_and_extension(
    rootdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The process that failed tells where, as one process does: the parent would only have
    the error's text ("Sphinx parallel build error: ValueError: ...", at the project)."""
    from triptych import cli

    source = tmp_path / "src"
    shutil.copytree(rootdir / "test-parallel", source)
    (source / "crashing_visitor.py").write_text(CRASHING_EXTENSION)
    conf = source / "conf.py"
    conf.write_text(
        "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent))\n"
        + conf.read_text().replace('["triptych"]', '["triptych", "crashing_visitor"]')
    )
    part = source / "part-7.md"
    lines = part.read_text().count("\n")
    part.write_text(part.read_text() + "\n```{crash}\n```\n")
    status = cli.main(
        ["build", str(source), "-o", str(tmp_path / "out"), "-f", "html", "-j", "2", "-q"]
    )
    assert status != 0
    expected = (
        f"{part}:{lines + 2}: error: unexpected ValueError: the crash visitor gave up in the"
        " extension crashing_visitor (run with --traceback for details)"
    )
    assert capsys.readouterr().err.strip().splitlines() == [expected]


def _fails(_arg: object) -> None:
    raise KeyError("colour")


def _returns(arg: object) -> object:
    return arg


@pytest.mark.parametrize("tasks_class", ["sphinx", "triptych"])
def test_a_process_that_failed_while_tasks_were_added_fails_the_caller(tasks_class: str) -> None:
    """Sphinx's ParallelTasks forgets a process found failed while another task is added: its
    work, and that of the processes it stops, is left undone in silence."""
    import time

    from sphinx.util.parallel import ParallelTasks

    from triptych.parallel import FailingParallelTasks, LocatedTaskError

    tasks = (FailingParallelTasks if tasks_class == "triptych" else ParallelTasks)(1)
    done: list[object] = []
    tasks.add_task(_fails, "first")
    time.sleep(1)  # the first process has failed when the second task is added
    try:
        tasks.add_task(_returns, "second", lambda _arg, result: done.append(result))
        tasks.join()
    except LocatedTaskError as error:
        assert tasks_class == "triptych"
        assert "unexpected KeyError: 'colour'" in str(error)
    else:
        # The failure went unnoticed, and the task added with it was never run.
        assert tasks_class == "sphinx"
        assert done == []


def test_sphinx_builders_read_and_write_in_tasks_that_fail_the_build(tmp_path: Path) -> None:
    from io import StringIO

    import sphinx.builders
    from sphinx.testing.util import SphinxTestApp

    from triptych.parallel import FailingParallelTasks

    (tmp_path / "conf.py").write_text('extensions = ["triptych"]\n')
    (tmp_path / "index.md").write_text("# Index\n")
    app = SphinxTestApp("html", srcdir=tmp_path, status=StringIO(), warning=StringIO())
    app.cleanup()
    builders: Any = sphinx.builders
    assert builders.ParallelTasks is FailingParallelTasks
