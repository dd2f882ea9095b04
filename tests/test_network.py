"""An extension's own network requests are refused unless the configuration names the host."""

from __future__ import annotations

import http.server
import os
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from lxml import html

from triptych import cli

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: An extension a project could list: it looks a DOI up while an article is read.
FETCHING = """
import os
import urllib.request


def fetched(app, docname, source):
    for host in os.environ["DOI_HOSTS"].split():
        try:
            with urllib.request.urlopen(f"http://{host}/10.1000/182", timeout=10) as response:
                source[0] += "\\n\\nLooked up: " + response.read().decode() + "\\n"
        except OSError:
            source[0] += f"\\n\\nNot looked up on {host.split(':')[0]}.\\n"


def setup(app):
    app.connect("source-read", fetched)
    return {"parallel_read_safe": True}
"""

CONF = """
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
project = "Lookups"
extensions = ["fetching"]
"""


@contextmanager
def a_doi_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A server on this machine that answers any request, its port given to the extension:
    the paths it was asked for."""
    asked: list[str] = []

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b"A Handbook of Digital Objects"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DOI_HOSTS", f"127.0.0.1:{server.server_address[1]}")
    try:
        yield asked
    finally:
        server.shutdown()
        server.server_close()


def project(source: Path, allowed: str = "") -> Path:
    source.mkdir(parents=True)
    (source / "fetching.py").write_text(FETCHING, encoding="utf-8")
    (source / "conf.py").write_text(CONF + allowed, encoding="utf-8")
    (source / "index.md").write_text("# Lookups\n\n```{toctree}\narticle\n```\n", encoding="utf-8")
    (source / "article.md").write_text("# An article\n\nIt cites a DOI.\n", encoding="utf-8")
    return source


def article_text(out: Path) -> str:
    return " ".join(
        html.parse(str(out / "html" / "article.html")).xpath("string(//div[@role='main'])").split()
    )


def test_an_extensions_request_is_refused_and_named_at_its_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project(tmp_path / "src")
    with a_doi_server(monkeypatch) as asked:
        # A name to look up as well as an address to connect to.
        monkeypatch.setenv("DOI_HOSTS", os.environ["DOI_HOSTS"] + " doi.example")
        assert cli.main(["build", str(source), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert asked == [], "the extension reached the server"
    text = article_text(tmp_path / "out")
    assert "Not looked up on 127.0.0.1. Not looked up on doi.example." in text
    errors = capsys.readouterr().err
    refusals = [line for line in errors.splitlines() if "network request" in line]
    assert len(refusals) == 2, errors  # once a host
    for refusal, host in zip(refusals, ("127.0.0.1", "doi.example"), strict=True):
        assert refusal.startswith(f"{source / 'article.md'}: WARNING: "), refusal
        assert f"add {host!r} to triptych_allowed_hosts to allow it" in refusal
        assert refusal.endswith("[triptych.network_request]")


@pytest.mark.parametrize("allowed", ["127.0.0.1", "LOCALHOST"])
def test_a_host_the_configuration_allows_is_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allowed: str
) -> None:
    """Listed as its address, or as a name that has the address the extension connects to."""
    source = project(tmp_path / "src", f"triptych_allowed_hosts = [{allowed!r}]\n")
    with a_doi_server(monkeypatch) as asked:
        assert cli.main(["build", str(source), "-o", str(tmp_path / "out"), "-q", "-W"]) == 0
    assert asked and set(asked) == {"/10.1000/182"}
    assert "Looked up: A Handbook of Digital Objects" in article_text(tmp_path / "out")
