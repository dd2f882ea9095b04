"""What ``triptych build`` prints: each problem once, phases in a few lines, final paths only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING

from outputs import triptych
from triptych.console import SHOWN_OF_A_KIND

if TYPE_CHECKING:
    from pathlib import Path

REPOSITORY_DOCS = __import__("pathlib").Path(__file__).parents[1] / "docs"


def publication(tmp_path: Path, body: str) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text('project = "Console"\nextensions = ["triptych"]\n')
    (source / "index.md").write_text(f"# Console\n\n{body}\n")
    return source


def test_each_problem_is_printed_once_for_three_editions(tmp_path: Path) -> None:
    source = publication(tmp_path, "See {ref}`nowhere`.")
    result = triptych("build", source, "-o", tmp_path / "out")
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line]
    assert lines == [f"{source / 'index.md'}:3: WARNING: undefined label: 'nowhere' [ref.ref]"]


def test_a_long_list_of_one_kind_is_grouped(tmp_path: Path) -> None:
    labels = [f"missing-{number}" for number in range(SHOWN_OF_A_KIND + 5)]
    source = publication(tmp_path, "\n\n".join(f"See {{ref}}`{label}`." for label in labels))
    result = triptych("build", source, "-o", tmp_path / "out")
    lines = result.stderr.splitlines()
    assert sum(line.startswith(str(source)) for line in lines) == SHOWN_OF_A_KIND
    assert "... and 5 more like this: WARNING: [ref.ref]" in lines[-1]
    assert "--verbose" in lines[-1]
    everything = triptych("build", source, "-o", tmp_path / "out", "--verbose")
    assert sum(line.startswith(str(source)) for line in everything.stderr.splitlines()) == 15


def test_the_console_of_the_publication_fits_on_a_screen(tmp_path: Path) -> None:
    result = triptych("build", REPOSITORY_DOCS, "-o", tmp_path / "out", "-W")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 24, result.stdout
    assert ".staging" not in result.stdout + result.stderr
    assert "MdParserConfig" not in result.stdout
    assert lines[-3].startswith(f"pdf   {tmp_path / 'out' / 'pdf' / 'bound-by-arms.pdf'}")
    assert lines[-1].startswith(f"html  {tmp_path / 'out' / 'html'}")
    assert result.stderr == ""
    quiet = triptych("build", REPOSITORY_DOCS, "-o", tmp_path / "out", "-W", "-q")
    assert next(line for line in quiet.stdout.splitlines() if line).startswith("pdf   ")


def test_a_terminal_shows_a_progress_bar_per_phase_and_the_pages_laid_out(tmp_path: Path) -> None:
    import pty

    body = "\n\n".join(f"Paragraph {n}. " * 40 for n in range(10))
    source = publication(tmp_path, "```{toctree}\nfirst\nsecond\n```\n\n" + body)
    for name in ("first", "second"):
        (source / f"{name}.md").write_text(f"# The {name} article\n\n{body}\n")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "triptych.cli",
            "build",
            source,
            "-o",
            tmp_path / "out",
            "-f",
            "pdf",
        ],
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the build
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=300) == 0
    text = shown.decode()
    # One line that updates itself: a bar for reading, then the pages as WeasyPrint lays them out.
    assert "\r\x1b[Kpdf: reading sources [" in text and "100%" in text
    pages = [int(n) for n in re.findall(r"laying out the PDF(?: \[[^\]]*\])? page (\d+)", text)]
    assert pages and max(pages) >= 2
    assert re.search(r"page \d+ of \d+", text)  # the layout after the first is counted against it
    assert "pdf: laying out the PDF\n" not in text  # no plain lines on a terminal


def test_phase_lines_are_plain_when_not_on_a_terminal() -> None:
    import io

    from triptych.console import PhaseLog

    out = io.StringIO()
    phases = PhaseLog(out, terminal=False)
    phases.write("building [pdf]: all source files\nreading sources... [ 50%] a\n")
    phases.write("reading sources... [100%] b\nlaying out the PDF...\n")
    for page in (1, 2, 3, 1, 2, 3):
        phases.laid_out(page)
    assert out.getvalue() == "pdf: reading sources\npdf: laying out the PDF\n"


def test_a_problem_sphinx_knows_no_line_of_names_the_file_alone() -> None:
    import io

    from triptych.console import ProblemLog

    out = io.StringIO()
    log = ProblemLog(out)
    log.line('/pub/beta.md:: WARNING: Duplicate explicit target name: "x". [docutils]')
    log.line("/pub/beta.md:: ERROR: Unknown target name: y. [docutils]")
    assert out.getvalue().splitlines() == [
        '/pub/beta.md: WARNING: Duplicate explicit target name: "x". [docutils]',
        "/pub/beta.md: ERROR: Unknown target name: y. [docutils]",
    ]


def test_a_link_to_a_page_outside_the_books_is_one_problem_in_the_authors_terms(
    tmp_path: Path,
) -> None:
    """The PDF and the EPUB both show it as text: one line, naming the page and label as the
    author would, not as the merged print document or the EPUB's files name them."""
    source = publication(tmp_path, "See {ref}`aside-label` for more.")
    (source / "aside.md").write_text(
        "---\norphan: true\n---\n\n(aside-label)=\n# Aside\n\nA page outside the book.\n"
    )
    result = triptych("build", source, "-o", tmp_path / "out")
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line]
    warning = (
        f"{source / 'index.md'}: WARNING: a link to aside#aside-label, which the book does not "
        "hold, is shown as text [triptych.outside_book]"
    )
    assert lines == [warning]
