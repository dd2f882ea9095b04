"""Ids of the merged PDF document: qualified per document, references rewritten to match."""

from __future__ import annotations

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from triptych.builders.pdf.ids import chapter_anchor, merged_target, qualify_ids


def test_merged_target() -> None:
    docs = {"intro", "part/two"}
    assert merged_target("#document-part/two#outlook", docs) == "#part/two--outlook"
    assert merged_target("#document-intro", docs) == "#" + chapter_anchor("intro")
    assert merged_target("#document-elsewhere#x", docs) is None
    assert merged_target("https://example.org/#document-intro", docs) is None


def test_qualify_ids_rewrites_ids_and_references() -> None:
    document = new_document("<test>", get_default_settings(Parser))
    section = nodes.section(ids=["outlook"])
    footnote = nodes.footnote(ids=["id2"], backrefs=["id1"])
    local = nodes.reference("", "here", refid="outlook")
    other = nodes.reference("", "there", refuri="#document-b#outlook")
    section += [local, other, footnote]
    document += section
    qualify_ids(document, "a", {"a", "b"})
    assert section["ids"] == ["a--outlook"]
    assert footnote["ids"] == ["a--id2"]
    assert footnote["backrefs"] == ["a--id1"]
    assert local["refid"] == "a--outlook"
    assert other["refuri"] == "#b--outlook"
