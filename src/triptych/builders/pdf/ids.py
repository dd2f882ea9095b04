"""Anchors for the one merged document behind the PDF.

Every document keeps its own ids (``id1``, ``footnote-1``, ``outlook``), so
merging them would collide. Before the merge, each id is qualified with its
document's name, and every reference is pointed at the qualified id. This is
done on the doctree, so the HTML writer only ever sees unique ids; raw HTML's
ids and its links within the page are qualified alike.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from docutils import nodes

from triptych.rawhtml import Attributes, names_a_place, rewrite_start_tags

if TYPE_CHECKING:
    from collections.abc import Iterable


def chapter_anchor(docname: str) -> str:
    """The id of the element that starts *docname* in the merged document."""
    return f"document-{docname}"


#: How the ids of the pages that open a part begin.
PART_ANCHOR_PREFIX = "triptych-part-"


def part_anchor(number: int) -> str:
    """The id of the page that opens the *number*-th part (from 1) of the merged document."""
    return f"{PART_ANCHOR_PREFIX}{number}"


def qualified_id(docname: str, node_id: str) -> str:
    return f"{docname}--{node_id}"


def authored_uri(uri: str, known_docs: Iterable[str]) -> str:
    """A link of the merged document as its author would write it: ``doc#id`` for a
    qualified id, ``doc`` for a chapter's start; any other URI as it is."""
    if not uri.startswith("#"):
        return uri
    anchor = uri[1:]
    # The longest name first: a document may be named like the start of another one.
    for docname in sorted(known_docs, key=len, reverse=True):
        if anchor == chapter_anchor(docname):
            return docname
        if anchor.startswith(qualified_id(docname, "")):
            return f"{docname}#{anchor.removeprefix(qualified_id(docname, ''))}"
    return uri


def merged_target(refuri: str, known_docs: Iterable[str]) -> str | None:
    """Where a ``#document-<doc>[#<id>]`` reference points in the merged document.

    The single-file builder resolves a reference to another document as
    ``#document-<doc>#<id>``; that double fragment is no valid link, so it is
    rewritten here to the qualified id. Returns ``None`` for any other URI.
    """
    if not refuri.startswith("#document-"):
        return None
    anchor, _, target = refuri[1:].partition("#")
    docname = anchor.removeprefix("document-")
    if docname not in known_docs:
        return None
    return "#" + (qualified_id(docname, target) if target else chapter_anchor(docname))


def qualify_ids(doctree: nodes.Node, docname: str, known_docs: Iterable[str]) -> None:
    """Qualify every id, refid and back-reference in one document's doctree."""
    docs = frozenset(known_docs)
    for node in doctree.findall(nodes.Element):
        if node.get("ids"):
            node["ids"] = [qualified_id(docname, node_id) for node_id in node["ids"]]
        if "refid" in node:
            node["refid"] = qualified_id(docname, node["refid"])
        if node.get("backrefs"):
            node["backrefs"] = [qualified_id(docname, ref) for ref in node["backrefs"]]
        refuri = node.get("refuri")
        if isinstance(refuri, str) and (target := merged_target(refuri, docs)) is not None:
            node["refuri"] = target
        if isinstance(node, nodes.raw) and "html" in node.get("format", "").split():
            markup = node.astext()
            qualified = rewrite_start_tags(markup, partial(_qualify_raw, docname, docs))
            if qualified != markup:
                node[:] = [nodes.Text(qualified)]


def _qualify_raw(
    docname: str, docs: frozenset[str], tag: str, attributes: Attributes, _line: int
) -> Attributes | None:
    """A raw start tag's ids and links within its page, qualified with *docname*."""

    def qualified(name: str, value: str | None) -> str | None:
        if value and names_a_place(tag, name):
            return qualified_id(docname, value)
        if value and name == "href" and (target := merged_target(value, docs)) is not None:
            return target
        if value and name == "href" and value.startswith("#") and len(value) > 1:
            return "#" + qualified_id(docname, value[1:])
        return value

    changed = [(name, qualified(name, value)) for name, value in attributes]
    return changed if changed != attributes else None
