"""MyST's parser with the two places where an article could reach beyond itself closed.

* ``{include}``: MyST runs its own include, not the directive registered for
  the name, so the file is checked here before MyST reads it, and an include
  that leads back to a file being included is an error instead of a
  ``RecursionError``.
* Substitutions: MyST renders ``{{ ... }}`` with a plain Jinja environment and
  hands it the Sphinx environment, so an article's front matter could run
  code. triptych renders them in Jinja's immutable sandbox, with the
  substitutions only, and caps the size of what an expression may build.

Directives, roles and ``xref:`` links nothing can render are kept as text
(see :mod:`triptych.projects.fallbacks`), with one warning at their line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

import jinja2
from docutils import nodes
from docutils.parsers.rst import directives, roles
from docutils.parsers.rst.directives.misc import Include
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from myst_parser.mdit_to_docutils.base import REGEX_DIRECTIVE_START, token_line
from myst_parser.mdit_to_docutils.sphinx_ import SphinxRenderer
from myst_parser.mocking import MockInliner
from myst_parser.parsers.mdit import create_md_parser
from myst_parser.parsers.sphinx_ import MystParser
from myst_parser.warnings_ import MystWarnings
from sphinx.util import logging

from triptych.diagnostics import Subtype, error
from triptych.projects.fallbacks import unknown_directive, unknown_role, unreachable_link
from triptych.safety.directives import include_refusal

if TYPE_CHECKING:
    from docutils.parsers.rst.states import Inliner
    from markdown_it.tree import SyntaxTreeNode
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

#: mystmd's links to pages of other projects (found through their published indexes).
UNREACHABLE_SCHEME = "xref:"

#: Largest string or sequence a substitution expression may build with ``*`` or ``**``.
MAX_SUBSTITUTION_SIZE = 100_000


class SubstitutionSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Substitutions need their values only, not Jinja's helpers (lipsum, cycler...).
        self.globals.clear()

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if (
            operator == "**"
            and isinstance(right, int)
            and (
                abs(right) > 64
                or (
                    isinstance(left, int)
                    and left.bit_length() * abs(right) > 8 * MAX_SUBSTITUTION_SIZE
                )
            )
        ):
            raise SecurityError("a substitution may not build a number that large")
        if operator == "*":
            sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
            counts = [x for x in (left, right) if isinstance(x, int)]
            if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_SUBSTITUTION_SIZE:
                raise SecurityError("a substitution may not build a value that large")
        return super().call_binop(context, operator, left, right)


class TriptychRenderer(SphinxRenderer):
    def run_directive(
        self,
        name: str,
        first_line: str,
        content: str,
        position: int,
        additional_options: dict[str, str] | None = None,
        *,
        block_text: str | None = None,
    ) -> list[nodes.Element]:
        # Sphinx warns, without a line, about a name whose domain it does not know.
        with logging.suppress_logging():
            directive_class, _ = directives.directive(name, self.language_module_rst, self.document)
        if directive_class is None:
            # Kept as text: mystmd's own directives, or an extension's that is not installed.
            return [unknown_directive(name, first_line, content, self.document["source"], position)]
        env = self.sphinx_env
        if env is None or not issubclass(directive_class, Include):
            return super().run_directive(
                name, first_line, content, position, additional_options, block_text=block_text
            )
        location = f"{self.document['source']}:{position}"
        if reason := include_refusal(env, first_line):
            error(logger, Subtype.REFUSED, reason, location=location)
            return []
        argument = "".join(line.strip() for line in first_line.splitlines())  # as MyST reads it
        path = Path(env.relfn2path(argument)[1]).resolve()
        including: list[Path] = self.__dict__.setdefault(
            "_triptych_including", [Path(self.document["source"]).resolve()]
        )
        if path in including:
            chain = " → ".join(p.name for p in [*including[including.index(path) :], path])
            error(
                logger, Subtype.CIRCULAR_INCLUDE, "circular include: %s", chain, location=location
            )
            return []
        including.append(path)
        try:
            return super().run_directive(
                name, first_line, content, position, additional_options, block_text=block_text
            )
        finally:
            including.pop()

    def _random_label(self) -> str:
        """The label of a numbered amsmath environment: the same in every build.

        MyST draws a random one, which would make the editions differ from one
        build to the next; the document's name and a count are unique as well.
        """
        count = self.__dict__["_triptych_amsmath"] = self.__dict__.get("_triptych_amsmath", 0) + 1
        return f"{self.sphinx_env.docname}-amsmath-{count}"

    def render_myst_role(self, token: SyntaxTreeNode) -> None:
        name = token.meta["name"]
        line = token_line(token) if token.map else 0
        with logging.suppress_logging():
            role, _messages = roles.role(name, self.language_module_rst, line, self.reporter)
        if role is None:
            self.current_node.append(
                unknown_role(name, token.content, self.document["source"], line)
            )
            return
        # As MyST runs a role, without looking it up (and being warned) a second time.
        rawsource = f":{name}:`{token.content}`"
        inliner = cast("Inliner", MockInliner(self))
        made, messages = role(name, rawsource, token.content, line, inliner, {}, [])
        self.current_node += [*made, *messages]

    def render_link(self, token: SyntaxTreeNode) -> None:
        href = str(token.attrGet("href") or "")
        if href.startswith(UNREACHABLE_SCHEME) and "xref" not in self.md_config.url_schemes:
            unreachable_link(href, self.document["source"], token_line(token, 0))
            text = nodes.inline(classes=["triptych-unreachable-link"])
            self.current_node.append(text)
            with self.current_node_context(text):
                self.render_children(token)
            return
        super().render_link(token)

    def render_link_inventory(self, token: SyntaxTreeNode) -> None:
        """An ``inv:`` link as MyST makes it; one that no inventory holds (none is fetched
        unless the configuration allows it) as its text, where MyST, having warned, keeps
        nothing of it: its words would be missing from every edition."""
        before = len(self.current_node.children)
        super().render_link_inventory(token)
        made = self.current_node.children[before:]
        if any(not isinstance(node, nodes.system_message) for node in made):
            return
        # The warning is logged; its node, a block in a paragraph, would split the paragraph.
        for message in made:
            self.current_node.remove(message)
        text = nodes.inline(classes=["triptych-unresolved-link"])
        self.current_node.append(text)
        if token.info != "auto" and token.children:
            with self.current_node_context(text):
                self.render_children(token)
        else:
            href = self.md.normalizeLinkText(str(token.attrGet("href") or ""))
            text += nodes.Text(urlparse(href).fragment or href.removeprefix("inv:"))

    def render_substitution(self, token: SyntaxTreeNode, inline: bool) -> None:
        position = token_line(token)
        context: dict[str, Any] = dict(self.md_config.substitutions)
        content = token.content.strip()
        sandbox = SubstitutionSandbox(undefined=jinja2.StrictUndefined)
        if content in context:
            rendered, references = str(context[content]), {content}
        else:
            try:
                rendered = sandbox.from_string(f"{{{{{token.content}}}}}").render(context)
                parsed = sandbox.parse(f"{{{{{token.content}}}}}")
            except Exception as problem:  # noqa: BLE001 - any template error is the author's
                self.create_warning(
                    f"Substitution error:{type(problem).__name__}: {problem}",
                    MystWarnings.SUBSTITUTION,
                    line=position,
                    append_to=self.current_node,
                )
                return
            references = {name.name for name in parsed.find_all(jinja2.nodes.Name)}
        active: set[str] = getattr(self.document, "sub_references", set())
        self.document.sub_references = active  # type: ignore[attr-defined]
        if cyclic := references & active:
            self.create_warning(
                f"circular substitution reference: {cyclic}",
                MystWarnings.SUBSTITUTION,
                line=position,
                append_to=self.current_node,
            )
            return
        active.update(references)
        try:
            nested_inline = inline and not REGEX_DIRECTIVE_START.match(rendered)
            self.nested_render_text(rendered, position, inline=nested_inline)
        finally:
            active.difference_update(references)


class TriptychMystParser(MystParser):
    """MyST's Sphinx parser, rendering with :class:`TriptychRenderer`."""

    def parse(self, inputstring: str, document: nodes.document) -> None:
        # MystParser.parse names its renderer; this repeats it with triptych's.
        from myst_parser.config.main import (
            TopmatterReadError,
            merge_file_level,
            read_topmatter,
        )
        from myst_parser.warnings_ import create_warning

        config = document.settings.env.myst_config
        try:
            topmatter = read_topmatter(inputstring)
        except TopmatterReadError:
            pass  # reported during the render
        else:
            if topmatter:

                def warning(wtype: MystWarnings, msg: str) -> None:
                    create_warning(document, msg, wtype, line=1, append_to=document)

                config = merge_file_level(config, topmatter, warning)
        parser = create_md_parser(config, TriptychRenderer)
        parser.options["document"] = document
        parser.render(inputstring)


def setup(app: Sphinx) -> None:
    app.add_source_parser(TriptychMystParser, override=True)
