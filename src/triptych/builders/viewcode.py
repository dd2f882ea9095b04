"""viewcode's source pages link each object to where it is documented, or not at all.

``sphinx.ext.viewcode`` writes a ``[docs]`` link beside each documented
object of a module's source, to ``<page>#<name>`` where ``<name>`` is the
object's name under the first module path the module's objects were
documented by. A package that documents a submodule's objects under its own
name (``pkg.Error``, from ``__all__``) and the submodule itself
(``pkg.errors.Error``) gets links to ids no page has, and a site with a dead
link is not published. Each link is checked against the Python domain: kept
if its page documents the object by that id, pointed at the object's entry
otherwise, and left out, with a warning, when the object has none.

The books hold no source pages: the ``[source]`` link viewcode writes beside
each object would be dead text in the PDF and the EPUB, with a warning for
every one. Sphinx's own EPUB builder leaves them out (``viewcode_enable_epub``
is off by default); :class:`SourceLinksLeftOutOfBooks` does so for both books.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import TYPE_CHECKING, Any

from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from triptych.diagnostics import Subtype, warn

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.domains.python import ObjectEntry

logger = logging.getLogger(__name__)

#: viewcode's own markup for an object's block and its link to the documentation.
BACKLINK = re.compile(
    r'(?P<block><div class="viewcode-block" id="(?P<name>[^"]*)">\n)'
    r'<a class="viewcode-back" href="(?P<page>[^"#]*)#(?P<anchor>[^"]*)">(?P<text>[^<]*)</a>\n'
)
SOURCE_PAGES = "_modules/"


def _entry_for(
    objects: dict[str, ObjectEntry], module: str, name: str, docname: str | None
) -> ObjectEntry | None:
    """The object *name* of *module*: by its own module path, else the one *docname* holds."""
    entry = objects.get(f"{module}.{name}")
    if entry is not None and not entry.aliased:
        return entry
    held = [
        entry
        for fullname, entry in objects.items()
        if entry.docname == docname and fullname.endswith(f".{name}") and not entry.aliased
    ]
    return held[0] if len(held) == 1 else None


def settle_backlinks(
    app: Sphinx,
    pagename: str,
    _templatename: str,
    context: dict[str, Any],
    _doctree: nodes.document | None,
) -> None:
    if not pagename.startswith(SOURCE_PAGES) or not isinstance(context.get("body"), str):
        return
    module = pagename.removeprefix(SOURCE_PAGES).replace("/", ".")
    recorded = getattr(app.env, "_viewcode_modules", {}).get(module)
    if not recorded:
        return
    used: dict[str, str] = recorded[2]
    objects = app.env.domains.python_domain.objects

    def settle(link: re.Match[str]) -> str:
        name, anchor = unescape(link["name"]), unescape(link["anchor"])
        docname = used.get(name)
        held = {entry.node_id for entry in objects.values() if entry.docname == docname}
        if anchor in held:
            return link[0]
        entry = _entry_for(objects, module, name, docname)
        if entry is not None:
            uri = app.builder.get_relative_uri(pagename, entry.docname) + "#" + entry.node_id
            return (
                f'{link["block"]}<a class="viewcode-back" href="{escape(uri)}">{link["text"]}</a>\n'
            )
        warn(
            logger, Subtype.OUTSIDE_BOOK,
            "the source page of %s links to %s, which no page documents by that name: "
            "the link is left out", module, f"{module}.{name}",
            location=(docname, None) if docname else None,
        )  # fmt: skip
        return link["block"]

    context["body"] = BACKLINK.sub(settle, context["body"])


class SourceLinksLeftOutOfBooks(SphinxPostTransform):
    """Leave viewcode's ``[source]`` anchors out of the books, before viewcode links them."""

    #: Before viewcode's ``ViewcodeAnchorTransform`` (100), which would make them links.
    default_priority = 99
    builders = ("pdf", "ebook")

    def run(self, **kwargs: Any) -> None:
        from sphinx.ext.viewcode import viewcode_anchor

        for anchor in list(self.document.findall(viewcode_anchor)):
            anchor.parent.remove(anchor)
