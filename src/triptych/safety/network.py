"""No network connection from a build, unless ``triptych_allowed_hosts`` names the host.

triptych's own fetches (images, stylesheets, inventories) check the host before
asking. An extension a project lists may make requests of its own (a tooltip
extension looking up DOIs, say); Python's audit hooks see every name lookup
and every connection the ``socket`` module makes, so the build refuses those
too. A lookup of a name not listed fails as an unknown name would, a
connection to an address no listed name has fails as a refused connection,
and the build warns once per host, naming the option that would allow it.

Audit hooks cannot be removed, so one hook is added per process; it guards
while an application that loaded triptych builds (from its setup to
``build-finished``), and the processes Sphinx forks to read in parallel inherit
it. The ``linkcheck`` builder, whose purpose is network requests, is not guarded.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import sys
import weakref
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from triptych.diagnostics import Subtype, warn
from triptych.safety.paths import allowed_host_names

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

INTERNET = frozenset({socket.AF_INET, socket.AF_INET6})
#: Builders that exist to make requests.
NETWORK_BUILDERS = frozenset({"linkcheck"})


class Guard:
    """The application being guarded, and what this build was told already."""

    def __init__(self) -> None:
        self.app: weakref.ref[Sphinx] | None = None
        self.warned: set[str] = set()
        self.allowed_addresses: frozenset[str] | None = None
        self.resolving = False

    def guard(self, app: Sphinx) -> None:
        self.app = weakref.ref(app)
        self.warned = set()
        self.allowed_addresses = None

    def release(self, app: Sphinx) -> None:
        if self.app is not None and self.app() is app:
            self.app = None

    def guarded(self) -> Sphinx | None:
        app = self.app() if self.app is not None else None
        if app is None or self.resolving:
            return None
        builder = getattr(app, "builder", None)
        if builder is not None and builder.name in NETWORK_BUILDERS:
            return None
        return app

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.getaddrinfo":
            self.check_lookup(args[0])
        elif event == "socket.connect":
            self.check_connection(args[0], args[1])

    def check_lookup(self, host: object) -> None:
        name = _host_name(host)
        if not name or _is_address(name) or (app := self.guarded()) is None:
            return  # no name to look up: a connection to an address is checked when made
        if name in _allowed_names(app):
            return
        self.refuse(app, name)
        raise socket.gaierror(socket.EAI_NONAME, _refusal(name))

    def check_connection(self, sock: object, address: object) -> None:
        if getattr(sock, "family", None) not in INTERNET or not isinstance(address, tuple):
            return
        host = _host_name(address[0])
        if not host or (app := self.guarded()) is None:
            return
        allowed = _allowed_names(app)
        if host in allowed or host in self.addresses_of(allowed):
            return
        self.refuse(app, host)
        raise ConnectionRefusedError(_refusal(host))

    def addresses_of(self, names: frozenset[str]) -> frozenset[str]:
        """The addresses of the allowed names, looked up once a build (they are allowed)."""
        if self.allowed_addresses is None:
            found: set[str] = set()
            self.resolving = True
            try:
                for name in names:
                    try:
                        found.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
                    except OSError:
                        continue
            finally:
                self.resolving = False
            self.allowed_addresses = frozenset(found)
        return self.allowed_addresses

    def refuse(self, app: Sphinx, host: str) -> None:
        if host in self.warned:
            return
        self.warned.add(host)
        warn(
            logger, Subtype.NETWORK_REQUEST,
            "a network request to %s was refused: builds make none that the configuration "
            "does not allow (add %r to triptych_allowed_hosts to allow it)",
            host, host,
            location=_reading(app),
        )  # fmt: skip


def _host_name(host: object) -> str:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return host.strip("[]").lower() if isinstance(host, str) else ""


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _allowed_names(app: Sphinx) -> frozenset[str]:
    try:
        hosts = app.config.triptych_allowed_hosts
    except AttributeError:  # before the configuration is read: nothing is allowed yet
        return frozenset()
    return allowed_host_names(hosts or ())


def _refusal(host: str) -> str:
    return f"network request to {host} refused (triptych_allowed_hosts does not list it)"


def _reading(app: Sphinx) -> str | None:
    """The document being read when the request was made, if one was (Sphinx's logging
    turns a document's name into its file)."""
    env = getattr(app, "env", None)
    docname = env.temp_data.get("docname") if env is not None else None
    return str(docname) if docname else None


@functools.cache
def process_guard() -> Guard:
    """The one guard of this process, its hook added the first time it is asked for."""
    guard = Guard()
    sys.addaudithook(guard.audit)
    return guard


def setup(app: Sphinx) -> None:
    guard = process_guard()
    guard.guard(app)
    # A kept-alive application (the preview's site) builds again without a new setup.
    app.connect("env-before-read-docs", lambda app, _env, _docnames: guard.guard(app))
    app.connect("build-finished", lambda app, _exception: guard.release(app))
