"""The EPUB's HTML writer: Sphinx's, with the structural semantics reading systems use."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator


def _in_glossary(node: nodes.Element) -> bool:
    items = node.parent
    glossary = items.parent if items is not None else None
    return isinstance(glossary, nodes.definition_list) and "glossary" in glossary["classes"]


class EbookTranslator(HTML5Translator):
    """HTML with the EPUB structural semantics reading systems use for a glossary."""

    def _semantic_tag(self, node: nodes.Element, tag: str, epub_type: str, suffix: str) -> None:
        attributes: dict[str, Any] = {"epub:type": epub_type}
        self.body.append(self.starttag(node, tag, suffix, **attributes))

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

    def visit_citation(self, node: nodes.citation) -> None:
        # docutils marks each entry with the role doc-biblioentry, which DPUB-ARIA 1.1
        # deprecates and epubcheck reports.
        super().visit_citation(node)
        self.body[-1] = self.body[-1].replace(' role="doc-biblioentry"', "")
