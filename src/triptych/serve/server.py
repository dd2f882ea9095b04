"""The preview's web server: files of the preview folder, and a WebSocket that tells pages to reload.

It is a server on the author's machine, so it answers only what a preview
needs: files inside the preview folder (never through ``..``, an encoded
``..`` or a symlink that leads out), to requests that name it by its own
address (a page elsewhere cannot reach it through a DNS name it rebinds to
the loopback address), and WebSocket connections from its own pages only.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import mimetypes
import socket
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

if TYPE_CHECKING:
    from pathlib import Path

    from websockets.asyncio.server import Server

#: Where the preview's own pieces are: the page script, the PDF page, the socket, book files.
PREFIX = "/_triptych/"
SOCKET_PATH = PREFIX + "ws"
CLIENT_PATH = PREFIX + "client.js"
PDF_PAGE_PATH = PREFIX + "pdf"
BOOKS_PATH = PREFIX + "books/"
#: What every served page gets, just before ``</body>``.
CLIENT_TAG = f'<script src="{CLIENT_PATH}" defer></script>'.encode()
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
WILDCARD = frozenset({"0.0.0.0", "::", ""})
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".woff2": "font/woff2"}

#: websockets reports a malformed request or a dropped connection; a preview has no use for it.
_quiet = logging.getLogger("triptych.serve.connections")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


class RefusedError(Exception):
    """A request the preview does not answer, with the status it gets instead."""

    def __init__(self, status: http.HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def confined(root: Path, url_path: str) -> Path:
    """The file *url_path* names under *root*, or :class:`RefusedError`.

    The path is decoded once, as a browser encodes it; a segment ``..`` or
    ``.`` (however it was written), a backslash or a NUL is refused before
    anything is looked up, and the file found must still be inside *root*
    once symlinks are resolved.
    """
    try:
        decoded = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        raise RefusedError(http.HTTPStatus.BAD_REQUEST, "the path is not UTF-8") from None
    if "\x00" in decoded or "\\" in decoded:
        raise RefusedError(http.HTTPStatus.BAD_REQUEST, "the path holds a NUL or a backslash")
    segments = [segment for segment in decoded.split("/") if segment]
    if any(segment in {".", ".."} for segment in segments):
        raise RefusedError(http.HTTPStatus.BAD_REQUEST, "the path leaves the preview")
    base = root.resolve()
    candidate = base.joinpath(*segments) if segments else base
    if candidate.is_dir():
        candidate /= "index.html"
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise RefusedError(http.HTTPStatus.NOT_FOUND, "no such file") from None
    if not resolved.is_relative_to(base):
        raise RefusedError(http.HTTPStatus.FORBIDDEN, "the file is outside the preview")
    if not resolved.is_file():
        raise RefusedError(http.HTTPStatus.NOT_FOUND, "no such file")
    return resolved


def own_names(host: str) -> frozenset[str]:
    """The host names the server answers to: what it was bound to, and loopback's names."""
    names = set(LOOPBACK)
    if host in WILDCARD:
        names.add(socket.gethostname().lower())
        with contextlib.suppress(OSError):
            names.update(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    else:
        names.add(host.lower())
    return frozenset(names)


def _host_header(name: str, port: int) -> str:
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


def _asset(name: str) -> bytes:
    return (resources.files(__package__) / name).read_bytes()


@dataclass
class PreviewServer:
    """Serves *site* at ``/`` and *books* under ``/_triptych/books/``; pages reload on :meth:`update`."""

    site: Path
    books: Path
    host: str = "127.0.0.1"
    port: int = 8000
    #: What a page that connects is told first: the problems of the last builds, the PDF's pages.
    state: dict[str, Any] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _server: Server | None = None
    _clients: set[ServerConnection] = field(default_factory=set)
    _ready: threading.Event = field(default_factory=threading.Event)
    _failure: BaseException | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hosts: frozenset[str] = frozenset()
    _origins: frozenset[str] = frozenset()

    # -- what the rest of the preview calls, from any thread ----------------------------------

    def start(self) -> None:
        """Bind and serve in a thread of its own; raises ``OSError`` if the port is taken."""
        self._thread = threading.Thread(target=self._run, name="triptych-serve", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        name = "127.0.0.1" if self.host in WILDCARD else self.host
        return f"http://{_host_header(name, self.port)}/"

    def update(self, part: str, value: dict[str, Any], *, reload: bool = False) -> None:
        """Keep *value* as the state of *part* (``site``, ``books``) and tell every open page.

        Each message carries the whole state, so a page shows the problems of
        every build, whichever finished last; with *reload*, site pages reload.
        """
        with self._lock:
            self.state[part] = value
            message = json.dumps({"type": part, "reload": reload, **self.state})
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._broadcast, message)

    # -- the server's own thread --------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # noqa: BLE001 - handed to the thread that started it
            self._failure = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        names = own_names(self.host)
        async with serve(
            self._connected,
            self.host,
            self.port,
            process_request=self._respond,
            logger=_quiet,
            compression=None,
        ) as server:
            self._server = server
            # Port 0 asks for any free port: the Host and Origin a page sends carry the real one.
            self.port = server.sockets[0].getsockname()[1]
            self._hosts = frozenset(_host_header(name, self.port) for name in names)
            self._origins = frozenset(f"http://{host}" for host in self._hosts)
            self._ready.set()
            await server.wait_closed()

    def _broadcast(self, text: str) -> None:
        broadcast(self._clients, text)

    async def _connected(self, connection: ServerConnection) -> None:
        with self._lock:
            state = dict(self.state)
        self._clients.add(connection)
        try:
            await connection.send(json.dumps({"type": "state", **state}))
            async for _message in connection:
                pass  # pages only listen
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(connection)

    def _respond(self, connection: ServerConnection, request: Request) -> Response | None:
        host = request.headers.get("Host", "").lower()
        if host not in self._hosts:
            return _text(http.HTTPStatus.MISDIRECTED_REQUEST, "this preview is not at that address")
        path = urlsplit(request.path).path
        if path == SOCKET_PATH:
            origin = request.headers.get("Origin", "")
            if origin.lower() not in self._origins:
                return _text(http.HTTPStatus.FORBIDDEN, "only the preview's own pages may connect")
            return None  # the WebSocket handshake goes on
        try:
            return self._file(path)
        except RefusedError as refused:
            if refused.status == http.HTTPStatus.NOT_FOUND and not path.startswith(PREFIX):
                # A page not written yet (or any more): it reloads once the site is rebuilt.
                return _missing_page(path)
            return _text(refused.status, str(refused))

    def _file(self, path: str) -> Response:
        if path == CLIENT_PATH:
            return _body(_asset("client.js"), TYPES[".js"])
        if path == PDF_PAGE_PATH:
            return _body(_asset("pdf.html"), "text/html; charset=utf-8")
        if path.startswith(BOOKS_PATH):
            found = confined(self.books, path.removeprefix(BOOKS_PATH))
        elif path.startswith(PREFIX):
            raise RefusedError(http.HTTPStatus.NOT_FOUND, "no such file")
        else:
            found = confined(self.site, path)
        body = found.read_bytes()
        media = TYPES.get(found.suffix) or mimetypes.guess_type(found.name)[0]
        media = media or "application/octet-stream"
        if found.suffix == ".html":
            body = _with_client(body)
            media = "text/html; charset=utf-8"
        return _body(body, media)


def _with_client(page: bytes) -> bytes:
    """The page with the script that reloads it and shows the build's problems."""
    at = page.rfind(b"</body>")
    return page[:at] + CLIENT_TAG + page[at:] if at >= 0 else page + CLIENT_TAG


def _missing_page(path: str) -> Response:
    from html import escape

    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not built</title>'
        "</head><body><h1>Not in the preview</h1>"
        f"<p>No page <code>{escape(path)}</code> has been built. This page reloads when the "
        'site is rebuilt. <a href="/">The first page</a>.</p></body></html>'
    ).encode()
    return _body(_with_client(page), "text/html; charset=utf-8", http.HTTPStatus.NOT_FOUND)


def _body(body: bytes, media: str, status: http.HTTPStatus = http.HTTPStatus.OK) -> Response:
    headers = Headers([
        ("Content-Type", media),
        ("Content-Length", str(len(body))),
        # Every answer is the preview as it is now.
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Connection", "close"),
    ])  # fmt: skip
    return Response(status, status.phrase, headers, body)


def _text(status: http.HTTPStatus, message: str) -> Response:
    body = f"{status.value} {status.phrase}: {message}\n".encode()
    headers = Headers([
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ])  # fmt: skip
    return Response(status, status.phrase, headers, body)
