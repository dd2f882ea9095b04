"""Sphinx's ``{glossary}`` directive, with line numbers that point into the file.

Under MyST, Sphinx numbers each term by its line within the directive's
content, so a warning about a term named line 6 of a file where the term
stands on line 10; and the definitions are numbered as if the content began
right after the directive's first line, before its options. The lines are
shifted to the file's own numbering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from myst_parser.mocking import MockState
from sphinx.domains.std import Glossary

if TYPE_CHECKING:
    from sphinx.application import Sphinx


class TriptychGlossary(Glossary):
    def run(self) -> list[nodes.Node]:
        result = super().run()
        if not isinstance(self.state, MockState):
            return result  # reStructuredText: the lines are the file's already
        # MyST: lineno is the directive's 0-based line, content_offset the lines from there to
        # the content, and a term's line its 0-based index within the content.
        for node in result:
            for term in node.findall(nodes.term):
                if term.line is not None:
                    term.line += self.lineno + self.content_offset + 1
            for definition in node.findall(nodes.definition):
                for element in definition.findall(nodes.Element):
                    if element.line is not None:
                        element.line += self.content_offset
        return result


def setup(app: Sphinx) -> None:
    app.add_directive_to_domain("std", "glossary", TriptychGlossary, override=True)
