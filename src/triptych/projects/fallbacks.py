"""MyST that triptych cannot render becomes text, with one warning at its line; none is lost.

Jupyter Book and mystmd projects use directives, roles and links that only
their own tools (or extensions that are not installed) understand:

* ``{code-cell}`` is shown as the highlighted code it holds (nothing is
  executed; cells tagged ``remove-cell`` or ``remove-input`` stay hidden, as
  their author asked);
* any other unknown directive is shown as a literal block of what it holds,
  an unknown role as literal text;
* an ``xref:`` link (to another mystmd project's pages) is its text;
* a reference that nothing resolved is its text in every edition, never a
  link to an anchor that does not exist;
* without sphinxcontrib-bibtex, ``{cite}`` roles show their keys and the
  ``{bibliography}`` is left out: the project was told once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, is_directive_registered, is_role_registered

from triptych.diagnostics import Subtype, warn

if TYPE_CHECKING:
    from collections.abc import Callable

    from docutils.parsers.rst.states import Inliner
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

UNKNOWN_CLASS = "triptych-unknown-syntax"


class AnyOptions(dict[str, "Callable[[str | None], Any]"]):
    """A directive option spec that takes every option as it is written."""

    def __missing__(self, key: str) -> Callable[[str | None], Any]:
        return directives.unchanged


#: Tags with which a notebook's author hides a cell's code from readers.
HIDDEN_CODE_TAGS = frozenset({"remove-cell", "remove-input"})
#: Kernel names that Pygments knows as Python.
PYTHON_KERNELS = frozenset({"ipython", "ipython3", "python3", "py3"})


def _tags(value: Any) -> set[str]:
    if isinstance(value, list | tuple):
        return {str(tag) for tag in value}
    return {tag for tag in re.split(r"[\s,\[\]\"']+", str(value or "")) if tag}


class CodeCell(SphinxDirective):
    """``{code-cell}``: the cell's code, highlighted; its outputs are not stored here."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = AnyOptions(tags=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        if _tags(self.options.get("tags")) & HIDDEN_CODE_TAGS:
            return []
        code = "\n".join(self.content)
        language = (self.arguments[0].split()[0] if self.arguments else "") or str(
            self.config.highlight_language
        )
        if language.lower() in PYTHON_KERNELS:
            language = "python"
        block = nodes.literal_block(code, code, language=language, classes=["code-cell"])
        self.set_source_info(block)
        return [block]


def unknown_directive(
    name: str, argument: str, content: str, source: str, line: int
) -> nodes.Element:
    """A directive nothing renders, as a literal block of its argument and content."""
    warn(
        logger, Subtype.UNKNOWN_SYNTAX, "unknown directive {%s}: shown as its text", name,
        location=f"{source}:{line}",
    )  # fmt: skip
    written = "\n".join(part for part in (argument.strip(), content.strip("\n")) if part)
    block = nodes.literal_block(written, written, language="text", classes=[UNKNOWN_CLASS])
    block.source, block.line = source, line
    return block


def unknown_role(name: str, content: str, source: str, line: int) -> nodes.Element:
    """A role nothing renders, as literal text of its content."""
    warn(
        logger, Subtype.UNKNOWN_SYNTAX, "unknown role {%s}: shown as its text", name,
        location=f"{source}:{line}",
    )  # fmt: skip
    literal = nodes.literal(content, content, classes=[UNKNOWN_CLASS])
    literal.source, literal.line = source, line
    return literal


def unreachable_link(target: str, source: str, line: int) -> None:
    warn(
        logger, Subtype.UNKNOWN_SYNTAX,
        "%s names a page of another project, which triptych cannot reach: shown as text",
        target, location=f"{source}:{line}",
    )  # fmt: skip


class UnresolvedAsText(SphinxPostTransform):
    """A reference nothing resolved is its text, in every edition.

    MyST leaves an unresolved link as a reference to an anchor named after
    the target (it warned where the link is); no document holds that anchor,
    so it would be a dead link on the site and in the EPUB, and the PDF
    renderer refuses it.
    """

    #: After MyST's resolver (9) and Sphinx's (10).
    default_priority = 11

    def run(self, **_kwargs: Any) -> None:
        ids = {anchor for node in self.document.findall(nodes.Element) for anchor in node["ids"]}
        for reference in list(self.document.findall(nodes.reference)):
            if (
                "refid" in reference
                and "refuri" not in reference
                and not reference.get("internal")
                and reference["refid"] not in ids
            ):
                reference.replace_self(nodes.inline("", "", *reference.children))


# --- Citations without sphinxcontrib-bibtex ---------------------------------------------

CITE_ROLES = (
    "cite", "cite:p", "cite:t", "cite:ps", "cite:ts", "cite:ct", "cite:cp", "cite:ct",
    "cite:alp", "cite:alps", "cite:author", "cite:authors", "cite:year", "cite:label",
    "cite:empty", "footcite", "footcite:p", "footcite:t", "footcite:ps", "footcite:ts",
)  # fmt: skip
BIBLIOGRAPHY_DIRECTIVES = ("bibliography", "footbibliography")


def citation_keys(
    _name: str,
    rawtext: str,
    text: str,
    _lineno: int,
    _inliner: Inliner,
    *_args: Any,
    **_kwargs: Any,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """A citation shown as its keys: ``[smith2020; doe2021]``."""
    keys = "; ".join(key.strip() for key in text.split(",") if key.strip())
    return [nodes.inline(rawtext, f"[{keys}]", classes=["triptych-citation-keys"])], []


class NoBibliography(SphinxDirective):
    """Where the bibliography would be: nothing can be printed without its entries."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = AnyOptions(filter=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        return []


def register_fallbacks(app: Sphinx) -> None:
    """Add what no extension provided, once every extension is set up."""
    if not is_directive_registered("code-cell"):
        app.add_directive("code-cell", CodeCell)
    if app.config.triptych_bibliography:
        for role in dict.fromkeys(CITE_ROLES):
            if not is_role_registered(role):
                app.add_role(role, citation_keys)
        for directive in BIBLIOGRAPHY_DIRECTIVES:
            if not is_directive_registered(directive):
                app.add_directive(directive, NoBibliography)


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", register_fallbacks)
    app.add_post_transform(UnresolvedAsText)
