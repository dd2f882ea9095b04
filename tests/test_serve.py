"""``triptych serve``: what it serves, what it refuses, and what a save rebuilds."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lxml import html
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from triptych import cli
from triptych.scaffold import create
from triptych.serve import ServeOptions, serve
from triptych.serve.books import BookPreview
from triptych.serve.server import RefusedError, confined

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Longest a rebuild may take on a busy machine before a test gives up.
PATIENCE = 60


@dataclass
class Preview:
    source: Path
    folder: Path
    url: str
    port: int
    events: queue.Queue[tuple[str, dict[str, Any]]]

    def next_site_build(self) -> dict[str, Any]:
        deadline = time.monotonic() + PATIENCE
        while (left := deadline - time.monotonic()) > 0:
            kind, state = self.events.get(timeout=left)
            if kind == "site":
                return state
        raise AssertionError("no rebuild")

    def request(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        # http.client sends the path as written: no normalising of "..".
        connection.putrequest("GET", path, skip_host=True)
        if host != "":
            connection.putheader("Host", f"127.0.0.1:{self.port}" if host is None else host)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    def socket(self, origin: str | None = None) -> ClientConnection:
        return connect(
            f"ws://127.0.0.1:{self.port}/_triptych/ws",
            origin=origin or f"http://127.0.0.1:{self.port}",  # type: ignore[arg-type]
            open_timeout=10,
        )


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    work = tmp_path_factory.mktemp("serve")
    source = work / "book"
    create(source, title="Field Notes", author="Ada Byron")
    events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    stop = threading.Event()
    options = ServeOptions(port=0, books=False, preview_dir=work / "preview")
    thread = threading.Thread(
        target=serve,
        args=(source, options, lambda kind, state: events.put((kind, state))),
        kwargs={"stop": stop},
        daemon=True,
    )
    thread.start()
    kind, listening = events.get(timeout=PATIENCE)
    assert kind == "listening"
    url = listening["url"]
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    found = Preview(source, work / "preview", url, port, events)
    first = found.next_site_build()
    assert first["error"] is None and "writing" in first["written"]
    yield found
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_it_serves_the_site_with_the_reloading_script(preview: Preview) -> None:
    status, body = preview.request("/writing.html")
    assert status == 200
    page = html.fromstring(body)
    assert page.xpath("//h1")[0].text_content().startswith("Writing an article")
    assert page.xpath("//script[@src='/_triptych/client.js']")
    status, script = preview.request("/_triptych/client.js")
    assert status == 200 and b"WebSocket" in script
    # The preview's own folder, never the build folder of triptych build.
    assert (preview.folder / "html" / "writing.html").is_file()
    assert not (preview.source / "build").exists()


def test_it_listens_on_loopback_unless_told_otherwise() -> None:
    assert ServeOptions().host == "127.0.0.1"
    assert cli.make_parser().parse_args(["serve"]).host == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    [
        "/../conf.py",
        "/../../../../etc/passwd",
        "/%2e%2e/conf.py",
        "/%2E%2E%2Fconf.py",
        "/_static/..%2f..%2fconf.py",
        "/..%5cconf.py",
        "/_triptych/books/../../book/conf.py",
        "/writing.html%00.png",
    ],
)
def test_it_refuses_paths_that_leave_the_preview(preview: Preview, path: str) -> None:
    status, body = preview.request(path)
    assert status == 400
    assert b"project" not in body and b"root:" not in body


def test_a_doubly_encoded_dot_dot_is_a_name_not_a_way_out(preview: Preview) -> None:
    status, body = preview.request("/%252e%252e/conf.py")
    assert status == 404
    # A page that is not there says so, and reloads when the site is rebuilt.
    assert b"/_triptych/client.js" in body and b"project" not in body


def test_it_refuses_symlinks_out_of_the_preview(preview: Preview, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    site = preview.folder / "html"
    (site / "leak.txt").symlink_to(secret)
    (site / "leaks").symlink_to(tmp_path, target_is_directory=True)
    (site / "inside.html").symlink_to(site / "writing.html")
    try:
        for path in ("/leak.txt", "/leaks/secret.txt", "/leaks/"):
            status, body = preview.request(path)
            assert status in {403, 404}, path
            assert b"not for the browser" not in body
        assert preview.request("/leak.txt")[0] == 403
        # A link that stays inside is followed.
        assert preview.request("/inside.html")[0] == 200
    finally:
        for name in ("leak.txt", "leaks", "inside.html"):
            (site / name).unlink()


def test_it_refuses_requests_for_another_host(preview: Preview) -> None:
    for host in ("attacker.example", f"attacker.example:{preview.port}", "127.0.0.1:1", ""):
        status, body = preview.request("/writing.html", host=host)
        assert status == 421, repr(host)
        assert b"Writing an article" not in body
    for host in (f"localhost:{preview.port}", f"127.0.0.1:{preview.port}"):
        assert preview.request("/writing.html", host=host)[0] == 200


def test_its_socket_refuses_pages_of_other_origins(preview: Preview) -> None:
    for origin in ("http://attacker.example", f"http://attacker.example:{preview.port}",
                   "null", f"https://127.0.0.1:{preview.port}"):  # fmt: skip
        with pytest.raises(InvalidStatus) as refused:
            preview.socket(origin)
        assert refused.value.response.status_code == 403, origin
    with preview.socket() as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "state"


def test_confined_paths() -> None:
    root = Path(__file__).parent / "roots"
    with pytest.raises(RefusedError):
        confined(root, "/%2e%2e/conftest.py")
    with pytest.raises(RefusedError):
        confined(root, "/%ff")  # not UTF-8
    found = confined(root, "/test-apparatus/conf.py")
    assert found == (root / "test-apparatus" / "conf.py").resolve()


def test_a_save_rebuilds_the_page_and_reloads_open_pages(preview: Preview) -> None:
    article = preview.source / "writing.md"
    with preview.socket() as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "state"
        article.write_text(article.read_text() + "\nA sentence written while previewing.\n")
        built = preview.next_site_build()
        message = json.loads(socket.recv(timeout=PATIENCE))
    assert message["type"] == "site" and message["reload"] is True
    # Only the article and what lists its text (glossary back-references, contents) are written.
    assert "writing" in built["written"] and "sharing" not in built["written"]
    status, body = preview.request("/writing.html")
    assert status == 200 and b"A sentence written while previewing." in body


def test_a_changed_title_rewrites_the_pages_that_refer_to_it(preview: Preview) -> None:
    article = preview.source / "writing.md"
    article.write_text(
        article.read_text().replace("## Figures and tables", "## Pictures and grids")
    )
    built = preview.next_site_build()
    assert "sharing" in built["written"]
    status, body = preview.request("/sharing.html")
    assert status == 200 and b"Pictures and grids" in body


def test_problems_go_to_the_page(preview: Preview) -> None:
    article = preview.source / "sharing.md"
    original = article.read_text()
    with preview.socket() as socket:
        socket.recv(timeout=10)
        article.write_text(original + "\nSee {ref}`no-such-section`.\n")
        preview.next_site_build()
        message = json.loads(socket.recv(timeout=PATIENCE))
        (problem,) = message["site"]["problems"]
        assert "sharing.md:" in problem and "no-such-section" in problem
        article.write_text(original)
        preview.next_site_build()
        message = json.loads(socket.recv(timeout=PATIENCE))
        assert message["site"]["problems"] == []


def test_an_epub_still_building_gives_way_to_the_pdf_of_a_newer_save(tmp_path: Path) -> None:
    """A save while the EPUB builds ends that build: the new PDF comes first, then the EPUB."""
    source = tmp_path / "book"
    create(source, title="Field Notes", author="Ada Byron")
    reports: list[str] = []
    finished = threading.Event()
    saved_again = False

    def report(state: dict[str, Any]) -> None:
        nonlocal saved_again
        building = state.get("building")
        reports.append(f"building {building}" if building else f"built {state.get('edition')}")
        if building == "epub" and not saved_again:
            saved_again = True
            books.request()  # the author saves while the EPUB builds
        elif not building and state.get("edition") == "epub":
            finished.set()

    books = BookPreview(source, tmp_path / "books", report=report, slug="field-notes")
    books.start()
    books.request()
    try:
        assert finished.wait(timeout=PATIENCE * 3)
    finally:
        books.stop()
    assert reports == [
        "building pdf", "built pdf", "building epub",
        "building pdf", "built pdf", "building epub", "built epub",
    ]  # fmt: skip
    assert books.state["error"] is None
    assert (tmp_path / "books" / "pdf" / "field-notes.pdf").is_file()
    assert (tmp_path / "books" / "epub" / "field-notes.epub").is_file()
