"""Hostile articles: nothing outside the project is read, nothing is fetched, no code runs.

The articles in tests/hostile/ try every way content could pull in a file or a
URL, or smuggle in script. A canary HTTP server on 127.0.0.1 counts requests
(there must be none), and a canary file beside the source folder holds a
token that must appear in no edition. Each ``% expect:`` comment names the
message the line after it must produce.
"""

from __future__ import annotations

import http.server
import os
import re
import secrets
import shutil
import string
import threading
import zipfile
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader
from sphinx.testing.util import SphinxTestApp

from outputs import triptych

if TYPE_CHECKING:
    from collections.abc import Iterator

CORPUS = Path(__file__).parent / "hostile"
EXPECT = re.compile(r"^% expect(?: \((?P<mode>nested|front matter)\))?: (?P<message>.+)$")
#: A one-pixel transparent PNG, for the requests the canary does answer.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class Canary(http.server.ThreadingHTTPServer):
    requests: list[str]


class CanaryHandler(http.server.BaseHTTPRequestHandler):
    server: Canary

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = Canary(("127.0.0.1", 0), CanaryHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def token() -> str:
    return f"CANARY-{secrets.token_hex(8)}"


def hostile_publication(work: Path, canary: Canary, token: str, articles: list[str]) -> Path:
    """The corpus as a publication in *work*/src, beside a secret it must not read."""
    (work / "secret.txt").write_text(f"{token}\n")
    (work / "secret.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>{token}</text></svg>'
    )
    source = work / "src"
    source.mkdir()
    # The source is a repository of its own: the secret lies beside the project.
    (source / ".git").mkdir()
    (source / "conf.py").write_text(
        'project = "Hostile"\nextensions = ["triptych"]\nlanguage = "en"\n'
        'myst_enable_extensions = ["colon_fence", "substitution", "html_image"]\n'
    )
    (source / "index.md").write_text(
        "# Hostile\n\n```{toctree}\n" + "\n".join(Path(a).stem for a in articles) + "\n```\n"
    )
    values = {
        "canary": f"http://127.0.0.1:{canary.server_address[1]}",
        "secret": str(work / "secret.txt"),
        "secret_svg": str(work / "secret.svg"),
    }
    for name in [*articles, "evil.svg", "evil-style.svg"]:
        text = string.Template((CORPUS / name).read_text()).substitute(values)
        (source / name).write_text(text)
    (source / "link-out.txt").symlink_to(work / "secret.txt")
    (source / "part.txt").write_text("A part.\n")
    (source / "figure.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/></svg>'
    )
    (source / "localised.svg").write_text((source / "figure.svg").read_text())
    (source / "localised.en.svg").symlink_to(work / "secret.svg")
    (source / "linked-dir").symlink_to(work)
    os.mkfifo(source / "pipe.svg")
    return source


def expectations(source: Path) -> list[tuple[Path, str, str]]:
    found = []
    for article in sorted(source.glob("*.md")):
        for number, line in enumerate(article.read_text().splitlines(), start=1):
            if match := EXPECT.match(line):
                # A nested render (a substitution's value) may report the line after.
                lines = {
                    None: str(number + 1),
                    "nested": f"({number + 1}|{number + 2})",
                    "front matter": "1",
                }[match["mode"]]
                found.append((article, lines, match["message"]))
    return found


READ_CORPUS = sorted(p.name for p in CORPUS.glob("*.md") if p.name != "svg-fetch.md")


def test_every_hostile_line_is_refused_with_its_file_and_line(
    tmp_path: Path, canary: Canary, token: str
) -> None:
    source = hostile_publication(tmp_path, canary, token, READ_CORPUS)
    canary.requests.clear()
    result = triptych("build", source, "-o", tmp_path / "out", "-q", "-v")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    expected = expectations(source)
    assert len(expected) == 45
    for article, lines, message in expected:
        pattern = rf"^{re.escape(str(article))}:{lines}: (ERROR|WARNING): .*{re.escape(message)}"
        assert re.search(pattern, result.stderr, re.MULTILINE), (article.name, lines, message)
    assert re.search(r"error: \d+ errors; nothing is published$", result.stderr, re.MULTILINE)
    assert canary.requests == []
    # Nothing was published, and nothing half-built was left behind.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["doctrees"]


def built(builder: str, source: Path, outdir: Path, **overrides: object) -> SphinxTestApp:
    """Build despite the errors (as ``sphinx-build`` without ``-W`` would), to inspect the result."""
    app = SphinxTestApp(
        builder,
        srcdir=source,
        builddir=outdir,
        status=StringIO(),
        warning=StringIO(),
        confoverrides=overrides,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def readable_bytes(outdir: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of the editions, with EPUBs unpacked and PDF text extracted."""
    for path in sorted(outdir.rglob("*")):
        if not path.is_file() or "doctrees" in path.parts:
            continue
        yield str(path), path.read_bytes()
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)
        if path.suffix == ".pdf":
            text = "".join(page.extract_text() for page in PdfReader(path).pages)
            yield f"{path} (text)", text.encode()


UNSAFE = ("script", "style", "link", "base", "iframe", "object", "embed")


def assert_safe_markup(document: bytes, label: str) -> None:
    tree = lxml_html.fromstring(document)
    body = tree.xpath("//*[@role='main']") or tree.xpath("//body")
    for element in body[0].iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in UNSAFE, (label, element.tag)
        for name, value in element.attrib.items():
            assert not name.startswith("on"), (label, element.tag, name)
            assert not value.strip().lower().startswith(("javascript:", "file:")), (label, value)


def test_the_editions_hold_nothing_from_outside(tmp_path: Path, canary: Canary, token: str) -> None:
    source = hostile_publication(tmp_path, canary, token, READ_CORPUS)
    canary.requests.clear()
    for builder in ("html", "ebook", "pdf"):
        built(builder, source, tmp_path / "out")
    outdir = tmp_path / "out"
    assert {p.suffix for p in outdir.rglob("*") if p.is_file()} >= {".html", ".epub", ".pdf"}
    for label, data in readable_bytes(outdir):
        assert token.encode() not in data, label
    assert canary.requests == []

    pages = [
        p for p in (outdir / "html").glob("*.html") if p.stem in {Path(a).stem for a in READ_CORPUS}
    ]
    assert len(pages) == len(READ_CORPUS)
    for page in pages:
        assert_safe_markup(page.read_bytes(), page.name)
    with zipfile.ZipFile(next(outdir.rglob("*.epub"))) as archive:
        for member in archive.namelist():
            if member.endswith(".xhtml"):
                content = archive.read(member)
                assert b"<script" not in content, member
                assert_safe_markup(content, member)
    # A plain substitution still renders; the hostile ones render nothing.
    substituted = (outdir / "html" / "substitutions.html").read_text()
    assert "This stays: a plain value." in substituted
    assert "subclasses" not in lxml_html.fromstring(substituted).xpath("string(//article)")

    pdf = PdfReader(next(outdir.rglob("*.pdf")))
    names = pdf.trailer["/Root"].get("/Names", {})
    assert "/EmbeddedFiles" not in names
    subtypes = {
        annotation.get_object()["/Subtype"]
        for page in pdf.pages
        for annotation in page.get("/Annots", [])
    }
    assert "/FileAttachment" not in subtypes


def test_an_svg_cannot_make_the_pdf_fetch(tmp_path: Path, canary: Canary, token: str) -> None:
    from triptych.diagnostics import PdfRenderError

    source = hostile_publication(tmp_path, canary, token, ["svg-fetch.md"])
    canary.requests.clear()
    with pytest.raises(PdfRenderError, match=r"refused to fetch .*/svg-image.png") as raised:
        built("pdf", source, tmp_path / "out")
    assert "evil-style.svg" in str(raised.value)
    assert canary.requests == []
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_configured_hosts_may_be_fetched(tmp_path: Path, canary: Canary, token: str) -> None:
    source = tmp_path / "src"
    shutil.copytree(Path(__file__).parent / "roots" / "test-basic", source)
    url = f"http://127.0.0.1:{canary.server_address[1]}/allowed.png"
    article = source / "second.md"
    article.write_text(article.read_text() + f"\n![a remote image]({url})\n")
    canary.requests.clear()
    app = built("pdf", source, tmp_path / "out", triptych_allowed_hosts=["127.0.0.1"])
    assert canary.requests == ["/allowed.png"]
    pdf = PdfReader(next(Path(app.outdir).glob("*.pdf")))
    images = [image for page in pdf.pages for image in page.images]
    assert images, "the allowed remote image is in the PDF"
