"""Sphinx's ``{glossary}`` directive, with term line numbers that point into the file.

Under MyST, Sphinx numbers each term by its line within the directive's
content, so a warning about a term named line 6 of a file where the term
stands on line 10. The lines are shifted to the file's own numbering.
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
        return result


def setup(app: Sphinx) -> None:
    app.add_directive_to_domain("std", "glossary", TriptychGlossary, override=True)
