"""A build killed with SIGKILL leaves the published editions exactly as they were.

``triptych build`` builds each edition in its work folder (beside the doctrees), stages what changed in OUTDIR/.staging/<edition> and only renames it
into place once it passed its audit. SIGKILL gives the process no chance to clean up,
so this test kills real ``triptych build`` processes at chosen points, found by reading
the progress lines they print, and compare the published bytes with those before.
"""

from __future__ import annotations

import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pypdf import PdfReader

if TYPE_CHECKING:
    from pathlib import Path

#: Enough articles that each phase killed below lasts 0.2 s or more, far longer than a kill.
ARTICLES = 48
SLUG = "basic-test-book"
EDITIONS = ("epub", "html", "pdf")
#: The edit made after the first build: a new title for one article. Every edition lists
#: it (the site on the pages before and after it, which link to it by its title, and in
#: its contents), so what a killed build staged differs throughout.
REVISED = "extra024"
TITLE = "# Extra chapter 24\n"
REVISION = "Quokkaville revisited"
TIMEOUT = 300.0


@dataclass(frozen=True)
class KillPoint:
    """Where to kill a build: at the first progress line ``<progress>[ N%]`` with N >= percent."""

    name: str
    options: tuple[str, ...]
    edition: str
    """The edition being built when the process is killed."""
    started: bytes
    """Printed when that edition's builder starts; the progress line must come after it."""
    progress: bytes
    percent: int
    finished: bytes
    """Printed once the phase is over: if it was, the process was killed too late."""
    staged: str = ""
    """A file the phase has already written to the staging folder when it is killed."""

    def pattern(self) -> re.Pattern[bytes]:
        return re.compile(re.escape(self.progress) + rb"\s*(\d+)%\]")


KILL_POINTS = (
    # The first edition reads every article (all were touched) and writes their doctrees.
    KillPoint(
        "reading the sources",
        (),
        "pdf",
        b"building [pdf]",
        b"reading sources... [",
        10,
        b"pickling environment",
    ),
    # The book is laid out and staged; WeasyPrint is rendering the article PDFs.
    KillPoint(
        "rendering the PDF",
        (),
        "pdf",
        b"building [pdf]",
        b"writing article PDFs [",
        10,
        b" article PDFs\n",
        f"{SLUG}.pdf",
    ),
    # Each edition is published as soon as it is built, so a full build killed in a later
    # edition rightly publishes the earlier ones: build only the edition under test.
    KillPoint(
        "writing the EPUB",
        ("-f", "epub"),
        "epub",
        b"building [ebook]",
        b"writing output... [",
        10,
        b"writing the EPUB... done",
    ),
    KillPoint(
        "writing the site",
        ("-f", "html"),
        "html",
        b"building [html]",
        b"writing output... [",
        50,
        b"generating indices",
        "extra023.html",
    ),
)


def make_publication(rootdir: Path, src: Path) -> None:
    """test-basic plus ARTICLES generated articles, listed in its toctree before the glossary."""
    shutil.copytree(rootdir / "test-basic", src)
    sentence = "Triptych lays out one folder of articles as a site, a printed book and an e-book. "
    for number in range(ARTICLES):
        name = f"extra{number:03d}"
        paragraph = f"Article {number} says it again. " + sentence * 5
        previous = f"See {{ref}}`extra{number - 1:03d}`." if number else ""
        (src / f"{name}.md").write_text(
            f"({name})=\n# Extra chapter {number}\n\nThe {{term}}`widget` again. {previous}\n\n"
            f"{paragraph}\n\n{paragraph}\n\n## Part two\n\n{paragraph}\n\n{paragraph}\n"
        )
    index = src / "index.md"
    names = "".join(f"extra{number:03d}\n" for number in range(ARTICLES))
    text = index.read_text()
    assert "second\nglossary\n" in text, "test-basic's toctree changed; update make_publication"
    index.write_text(text.replace("second\nglossary\n", f"second\n{names}glossary\n"))


def published(out: Path) -> dict[str, str]:
    """SHA-256 of every file of the published editions, by path relative to OUTDIR."""
    return {
        path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for edition in EDITIONS
        for path in sorted((out / edition).rglob("*"))
        if path.is_file()
    }


def environment() -> dict[str, str]:
    # SOURCE_DATE_EPOCH comes from conftest; unbuffered, so progress lines arrive as printed.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    return env


def triptych(src: Path, out: Path, *options: str) -> list[str]:
    # --verbose: the kill points are found in Sphinx's own progress lines.
    command = [sys.executable, "-m", "triptych.cli", "build", str(src), "-o", str(out), "-W"]
    return [*command, "--verbose", *options]


def build(src: Path, out: Path) -> None:
    result = subprocess.run(
        triptych(src, out),
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def shown(output: bytes) -> str:
    return output.decode(errors="replace")


def kill_at(point: KillPoint, src: Path, out: Path) -> str:
    """Start a build, SIGKILL its process group at *point*; return everything it printed."""
    process = subprocess.Popen(
        triptych(src, out, *point.options),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment(),
        start_new_session=True,
    )
    assert process.stdout is not None
    output, killed_at = b"", -1
    try:
        deadline = time.monotonic() + TIMEOUT
        pattern = point.pattern()
        # Raw reads, not lines: a progress line is printed in pieces, its percentage first.
        while killed_at < 0:
            timeout = max(deadline - time.monotonic(), 0.0)
            ready, _, _ = select.select([process.stdout], [], [], timeout)
            assert ready, f"no output for {TIMEOUT} s:\n{shown(output)}"
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            assert chunk, f"the build ended before {point.name}:\n{shown(output)}"
            output += chunk
            start = output.find(point.started)
            if start < 0:
                continue
            for match in pattern.finditer(output, start):
                if int(match[1]) >= point.percent:
                    assert process.poll() is None, f"exited before {point.name}"
                    os.killpg(process.pid, signal.SIGKILL)
                    killed_at = match.end()
                    break
    finally:
        if killed_at < 0 and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT)
        output += process.stdout.read()
        process.stdout.close()
    text = shown(output)
    assert process.returncode == -signal.SIGKILL, text
    # Whatever the process printed before it died is in the pipe: had the phase ended
    # before the signal landed, its closing message would be here.
    assert point.finished not in output[killed_at:], f"killed after {point.name}:\n{text}"
    return text


def pdf_text(path: Path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode() for name in archive.namelist() if ".xhtml" in name
        )


def test_a_killed_build_leaves_the_published_editions_intact(rootdir: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    make_publication(rootdir, src)
    build(src, out)
    before = published(out)
    assert {f"pdf/{SLUG}.pdf", f"epub/{SLUG}.epub", "html/index.html"} <= set(before)
    assert f"pdf/articles/{REVISED}.pdf" in before
    assert not (out / ".staging").exists()

    # The next build differs, and reads every article again (as after a checkout).
    article = src / f"{REVISED}.md"
    assert TITLE in article.read_text()
    article.write_text(article.read_text().replace(TITLE, f"# {REVISION}\n"))
    for source in src.glob("*.md"):
        source.touch()

    for point in KILL_POINTS:
        output = kill_at(point, src, out)
        now = published(out)
        # No half-written file (write_atomically's ".name.XXXX" and the like) was published...
        assert sorted(now.keys() - before.keys()) == [], f"killed while {point.name}:\n{output}"
        # ...and every published byte is the first build's.
        assert now == before, f"killed while {point.name}:\n{output}"
        # Nothing beside the editions either: no half-swapped ".pdf.previous" and the like.
        assert {p.name for p in out.iterdir()} <= {"doctrees", ".staging", *EDITIONS}, output
        # The kill came in the middle of the edition (its work folder outlived it)...
        staging = out / "doctrees" / "triptych-work" / point.edition
        assert staging.is_dir(), f"no work folder after the kill:\n{output}"
        if point.staged:
            # ...after it had staged a changed file: had that been published, it would show.
            staged = (staging / point.staged).read_bytes()
            assert staged != (out / point.edition / point.staged).read_bytes(), output

    # What the killed builds left (staging folders, doctrees, the ebook's chapters) must
    # not stop the next build, which publishes the revision in every edition.
    build(src, out)
    after = published(out)
    assert set(after) == set(before)
    assert not (out / ".staging").exists()
    for edition_file in (f"pdf/{SLUG}.pdf", f"epub/{SLUG}.epub", "html/extra023.html"):
        assert after[edition_file] != before[edition_file], edition_file
    assert REVISION in (out / "html" / f"{REVISED}.html").read_text()
    assert REVISION in (out / "html" / "extra023.html").read_text()
    assert REVISION in epub_text(out / "epub" / f"{SLUG}.epub")
    assert REVISION in pdf_text(out / "pdf" / f"{SLUG}.pdf")
