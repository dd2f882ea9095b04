"""The EPUB's HTML writer: Sphinx's, with the structural semantics reading systems use."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from docutils import nodes
from sphinx.locale import admonitionlabels
from sphinx.writers.html5 import HTML5Translator

#: Admonitions that warn, as EPUB notices; the others are notes, or tips.
NOTICES = frozenset({"attention", "caution", "danger", "error", "important", "warning"})
TIPS = frozenset({"hint", "tip"})


def admonition_semantics(name: str) -> tuple[str, dict[str, str]]:
    """Element and attributes of an admonition of kind *name* ("" for a titled one).

    ARIA in HTML allows ``doc-tip`` and ``note`` on ``aside`` but ``doc-notice``
    only on ``section``; each ``epub:type`` goes with its matching role, as
    DAISY Ace asks.
    """
    if name in NOTICES:
        return "section", {"epub:type": "notice", "role": "doc-notice"}
    if name in TIPS:
        return "aside", {"epub:type": "tip", "role": "doc-tip"}
    return "aside", {"role": "note"}


def _in_glossary(node: nodes.Element) -> bool:
    items = node.parent
    glossary = items.parent if items is not None else None
    return isinstance(glossary, nodes.definition_list) and "glossary" in glossary["classes"]


#: Characters a URL may not hold unescaped (RFC 3986), though authors write them.
_NOT_IN_URLS = re.compile(r"[{}|\\^`<>\"\s]")


class EbookTranslator(HTML5Translator):
    """HTML with the EPUB structural semantics reading systems use: glossary, notes, bibliography."""

    def starttag(
        self,
        node: nodes.Element,
        tagname: str,
        suffix: str = "\n",
        empty: bool = False,
        **attributes: Any,
    ) -> str:
        # An extension's boolean attribute (a tab's ``checked=True``) is written "True",
        # which XHTML refuses: there its value is its own name.
        attributes = {
            name: name.lower() if value is True else value for name, value in attributes.items()
        }
        return super().starttag(node, tagname, suffix, empty, **attributes)

    def _semantic_tag(self, node: nodes.Element, tag: str, epub_type: str, suffix: str) -> None:
        attributes: dict[str, Any] = {"epub:type": epub_type}
        self.body.append(self.starttag(node, tag, suffix, **attributes))

    def visit_admonition(self, node: nodes.Element, name: str = "") -> None:
        tag, semantics = admonition_semantics(name)
        attributes: dict[str, Any] = dict(semantics)
        if name:
            node.insert(0, nodes.title(name, admonitionlabels[name]))
        title = next((child for child in node.children if isinstance(child, nodes.title)), None)
        if title is not None:
            if not title["ids"]:
                self._admonitions = getattr(self, "_admonitions", 0) + 1
                title["ids"] = [f"triptych-admonition-{self._admonitions}"]
            attributes["aria-labelledby"] = title["ids"][0]
        self.body.append(self.starttag(node, tag, CLASS=f"admonition {name}".strip(), **attributes))
        self.context.append(f"</{tag}>\n")

    def visit_glossary(self, node: nodes.Element) -> None:
        self.body.append('<div epub:type="glossary" role="doc-glossary">\n')

    def depart_glossary(self, node: nodes.Element) -> None:
        self.body.append("</div>\n")

    def visit_term(self, node: nodes.Element) -> None:
        if _in_glossary(node):
            self._semantic_tag(node, "dt", "glossterm", "")
        else:
            super().visit_term(node)

    def visit_definition(self, node: nodes.Element) -> None:
        if _in_glossary(node):
            self._semantic_tag(node, "dd", "glossdef", "")
        else:
            super().visit_definition(node)

    def visit_classifier(self, node: nodes.Element) -> None:
        # The site's stylesheet writes " : " between a term and its classifier; a reading
        # system may have no stylesheet, so here it is text.
        self.body.append('<span class="classifier-delimiter"> : </span>')
        super().visit_classifier(node)

    def visit_reference(self, node: nodes.Element) -> None:
        uri = str(node.get("refuri", ""))
        if uri.count("#") > 1:
            # A browser's text fragment (``#:~:text=``) added to a URL that has a fragment: a
            # URL may hold one "#", and EPUB reading systems must be given a valid one.
            base, _, fragment = uri.partition("#")
            uri = node["refuri"] = f"{base}#{fragment.replace('#', '%23')}"
        if "://" in uri and _NOT_IN_URLS.search(uri):
            # An address with a placeholder ("/simple/{name}"): browsers accept it, EPUB
            # reading systems are given it with those characters escaped.
            node["refuri"] = _NOT_IN_URLS.sub(lambda match: quote(match.group()), uri)
        super().visit_reference(node)

    def visit_footnote_reference(self, node: nodes.Element) -> None:
        label_style = self.settings.footnote_references
        attributes: dict[str, Any] = {"epub:type": "noteref", "role": "doc-noteref"}
        self.body.append(
            self.starttag(
                node, "a", "", classes=["footnote-reference", label_style],
                href="#" + node["refid"], **attributes,
            )
        )  # fmt: skip
        self.body.append('<span class="fn-bracket">[</span>')

    def visit_footnote(self, node: nodes.Element) -> None:
        label_style = self.settings.footnote_references
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append(f'<div class="footnote-list {label_style}">\n')
        attributes: dict[str, Any] = {"epub:type": "footnote", "role": "doc-footnote"}
        self.body.append(
            self.starttag(node, "aside", classes=[node.tagname, label_style], **attributes)
        )

    def depart_footnote(self, node: nodes.Element) -> None:
        self.body.append("</aside>\n")
        if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
            self.body.append("</div>\n")

    # --- Bibliography: a list of entries, as DPUB-ARIA 1.1 has it (doc-biblioentry is gone) ---

    # (MyST registers its own visitor for containers, so the list carries the semantics.)

    def visit_citation(self, node: nodes.Element) -> None:
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append(
                '<section epub:type="bibliography" role="doc-bibliography">'
                '<div role="list" class="citation-list">\n'
            )
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))

    def depart_citation(self, node: nodes.Element) -> None:
        self.body.append("</div>\n")
        if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
            self.body.append("</div></section>\n")
