"""Raw HTML from articles, sanitised once while reading, so every edition gets the same safe markup.

nh3 (the Rust ``ammonia`` sanitiser) keeps ordinary markup and drops
scripts, styles, event handlers, ``javascript:`` URLs, ``<base>``, ``<link>``
and anything WeasyPrint could fetch or attach. MyST splits inline HTML into
one raw node per tag (``<b>``, text, ``</b>``), so a lone opening or closing
tag is sanitised as a tag, not as a fragment nh3 would close or discard.
Whatever the sanitiser removed is reported with the article's line; an
``<img>`` naming a file outside the project or a host the configuration
does not allow is an error, as for a Markdown image.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import nh3
from docutils import nodes
from lxml import html as lxml_html
from sphinx.util import logging

from triptych.diagnostics import Subtype, error, warn
from triptych.safety.directives import image_refusal
from triptych.safety.paths import is_remote

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: Attributes any element may keep: styling hooks, language and accessibility.
GENERIC_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "role", "aria-label"})
VOID_TAGS = frozenset({"area", "br", "col", "hr", "img", "wbr"})
OPENING_TAG = re.compile(r"^<(?P<tag>[A-Za-z][\w-]*)(?:\s[^<>]*)?>$", re.DOTALL)
CLOSING_TAG = re.compile(r"^</(?P<tag>[A-Za-z][\w-]*)\s*>$")
#: Elements whose content is no reader's text but a script's data: nh3's own (scripts,
#: styles), templates, and PyScript's elements, which hold Python code and its settings.
CONTENT_FREE_TAGS = frozenset(
    {"script", "style", "template", "py-script", "py-config", "py-repl", "py-env",
     "mpy-script", "mpy-config"}
)  # fmt: skip


class Sanitiser:
    """Sanitises the raw HTML of one document, collecting what it had to remove."""

    def __init__(self, env: BuildEnvironment, docname: str) -> None:
        self.env = env
        self.docname = docname
        #: (kind, reason) for each image source left out: refused, remote or missing.
        self.refusals: list[tuple[Subtype, str]] = []

    def _keep_attribute(self, tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if reason := image_refusal(self.env, value, self.docname):
                kind = Subtype.REMOTE_IMAGE if is_remote(value) else Subtype.REFUSED
                self.refusals.append((kind, reason))
                return None
            if not value.startswith("data:") and not urlsplit(value).scheme:
                path = Path(self.env.relfn2path(value, self.docname)[1])
                if not path.is_file():
                    # Sphinx reads no image of raw HTML, so none would say it is missing.
                    self.refusals.append(
                        (Subtype.MISSING_IMAGE, f"image file not readable: {value}")
                    )
                    return None
        return None if value.lower().startswith("file:") else value

    def clean(self, markup: str) -> str:
        return nh3.clean(
            markup,
            # Their content goes with them: nh3 keeps an element's text when it drops the
            # element, and PyScript's code would read as one run-on paragraph.
            clean_content_tags=set(CONTENT_FREE_TAGS),
            attributes={**nh3.ALLOWED_ATTRIBUTES, "*": set(GENERIC_ATTRIBUTES)},
            attribute_filter=self._keep_attribute,
            # file: is let through to the filter, which refuses it with a reason.
            url_schemes=nh3.ALLOWED_URL_SCHEMES | {"file"},
            link_rel=None,
            strip_comments=True,
        )

    def sanitise(self, markup: str) -> str:
        stripped = markup.strip()
        if match := CLOSING_TAG.match(stripped):
            return stripped if match["tag"].lower() in nh3.ALLOWED_TAGS else ""
        if (match := OPENING_TAG.match(stripped)) and not stripped.endswith("/>"):
            tag = match["tag"].lower()
            if tag in VOID_TAGS:
                return self.clean(stripped)
            closing = f"</{tag}>"
            cleaned = self.clean(stripped + closing)
            return cleaned.removesuffix(closing) if cleaned.endswith(closing) else cleaned
        return self.clean(markup)


def _markup_of(fragment: str) -> set[str]:
    """Tags and tag@attribute pairs in *fragment*, for reporting what was removed."""
    found: set[str] = set()
    if closing := CLOSING_TAG.match(fragment.strip()):
        return {closing["tag"].lower()}
    try:
        elements = lxml_html.fragments_fromstring(f"<div>{fragment}</div>")
    except Exception:  # noqa: BLE001 - unparseable fragments are reported by tag only
        return found
    for element in elements:
        if not isinstance(element, lxml_html.HtmlElement):
            continue
        for node in element.iter():
            if not isinstance(node.tag, str):
                continue  # comments and processing instructions
            found.add(node.tag)
            found.update(f"{node.tag}@{name}" for name in node.attrib)
    return found


def _describe(removed: set[str]) -> str:
    parts = []
    for item in sorted(removed):
        tag, _, attribute = item.partition("@")
        parts.append(f"the {attribute} attribute of <{tag}>" if attribute else f"<{tag}>")
    return ", ".join(parts)


def sanitise_raw_html(app: Sphinx, doctree: nodes.document) -> None:
    if not app.config.triptych_sanitise_html:
        return
    sanitiser = Sanitiser(app.env, app.env.current_document.docname)
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split():
            continue
        markup = raw.astext()
        cleaned = sanitiser.sanitise(markup)
        removed = _markup_of(markup) - _markup_of(cleaned) - {"div"}
        for kind, reason in sanitiser.refusals:
            if kind is Subtype.REFUSED:
                error(logger, kind, reason, location=raw)
            else:
                warn(logger, kind, "%s; the image shows its text alternative", reason, location=raw)
            removed.discard("img@src")  # reported above
        sanitiser.refusals.clear()
        if removed:
            warn(
                logger, Subtype.UNSAFE_HTML, "raw HTML sanitised: removed %s",
                _describe(removed), location=raw,
            )  # fmt: skip
        if cleaned != markup:
            raw[:] = [nodes.Text(cleaned)]
    _drop_stray_closing_tags(doctree)


def _drop_stray_closing_tags(doctree: nodes.document) -> None:
    """Leave out a lone closing tag that closes no element a lone opening tag opened before it.

    Such a tag would close the page's own elements around the article: written
    into the site, a ``</div>`` left over from an HTML block that ended at a blank
    line (CommonMark's rule) closed the article's container, and the text after it
    was outside the article. An opening tag counts where its block encloses the
    closing one, as a ``<div>`` block around Markdown and its ``</div>`` block do.
    """
    opened: list[tuple[str, nodes.Element]] = []
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split() or raw.parent is None:
            continue
        markup = raw.astext().strip()
        if (match := OPENING_TAG.match(markup)) and not markup.endswith("/>"):
            if (tag := match["tag"].lower()) not in VOID_TAGS:
                opened.append((tag, raw.parent))
            continue
        if not (match := CLOSING_TAG.match(markup)):
            continue  # a fragment, which the sanitiser balanced
        tag = match["tag"].lower()
        enclosing = set(map(id, _ancestors(raw)))
        for index in range(len(opened) - 1, -1, -1):
            if opened[index][0] == tag and id(opened[index][1]) in enclosing:
                del opened[index:]  # the elements opened inside it close with it
                break
        else:
            warn(
                logger, Subtype.UNSAFE_HTML,
                "raw HTML sanitised: removed </%s>, which closes no element opened before it",
                tag, location=raw,
            )  # fmt: skip
            raw.parent.remove(raw)


def _ancestors(node: nodes.Node) -> list[nodes.Element]:
    found: list[nodes.Element] = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", sanitise_raw_html, priority=400)
