"""intersphinx inventories: fetched only from hosts the configuration allows.

``triptych build`` gives Sphinx only the inventories on allowed hosts; the
others are named once, at the line of ``conf.py`` that maps them, so that the
unresolved references that follow (``unknown document: 'pip:index'``) have
their cause and the option that lifts it beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sphinx.util import logging

from triptych.diagnostics import Subtype, warn
from triptych.safety.paths import allowed_host_names

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

INTERSPHINX = "sphinx.ext.intersphinx"


def inventory_host(target: Any) -> str:
    """The host of an ``intersphinx_mapping`` value (a URI, or a URI and its inventories)."""
    uri = target[0] if isinstance(target, tuple | list) and target else target
    return (urlsplit(uri).hostname or "").lower() if isinstance(uri, str) else ""


def unfetched_inventories(
    mapping: Mapping[str, Any], allowed_hosts: Iterable[str]
) -> dict[str, str]:
    """The inventories of *mapping* on hosts *allowed_hosts* does not list: name to host."""
    allowed = allowed_host_names(allowed_hosts)
    return {
        str(name): host
        for name, target in mapping.items()
        if (host := inventory_host(target)) not in allowed
    }


def note_unfetched(app: Sphinx, _env: BuildEnvironment, docnames: list[str]) -> None:
    """One warning for the inventories this build was not given, when articles are read.

    Only the application that reads articles says it, as only it reports the
    references into them: the other editions of a build would repeat it.
    """
    if not docnames or INTERSPHINX not in app.extensions:
        return
    declared = app.config._raw_config.get("intersphinx_mapping") or {}
    if not isinstance(declared, dict):
        return  # Sphinx reports a mapping of the wrong type itself
    given = app.config.intersphinx_mapping or {}
    left_out = {
        str(name): inventory_host(target) for name, target in declared.items() if name not in given
    }
    if not left_out:
        return
    from triptych.config import config_location

    hosts = ", ".join(dict.fromkeys(host for host in left_out.values() if host))
    warn(
        logger, Subtype.REMOTE_INVENTORY,
        "intersphinx inventories not fetched, as builds make no network requests: %s; "
        "references into them are shown as text. To fetch them, list their hosts in "
        "triptych_allowed_hosts: %s",
        ", ".join(left_out), hosts,
        location=config_location(app.confdir, "intersphinx_mapping") or None,
    )  # fmt: skip


def setup(app: Sphinx) -> None:
    app.connect("env-before-read-docs", note_unfetched)
