"""Math in every edition, rendered on the build machine: no script, no font server, no network.

Each formula is rendered once, while its document is read (in the reading
processes under ``-j``): MathML for the site and the EPUB, SVG for the PDF,
which WeasyPrint draws but whose MathML it would ignore. Both are kept on the
formula's node in the saved doctree, so the three editions share them and an
unchanged document is not rendered again. A formula that cannot be rendered
gets one warning with its line, and every edition shows its TeX as code.

The writers meet formulas through Sphinx's math renderer registry: the
``triptych`` renderer takes the place of MathJax, and the print and e-book
builders use it whatever the site's ``html_math_renderer`` says.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from triptych.diagnostics import Subtype, warn
from triptych.math.render import MathError, display_tex, mathml, svg

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

RENDERER = "triptych"
#: Builders whose pages show SVG rather than MathML.
SVG_BUILDERS = frozenset({"pdf"})
MATHML = "triptych_mathml"
SVG = "triptych_svg"
SVG_DEPTH = "triptych_svg_depth"
FAILED = "triptych_math_failed"
FALLBACK_CLASS = "triptych-math-fallback"


def formula_tex(node: nodes.math | nodes.math_block) -> str:
    """The TeX of one formula as the renderers receive it."""
    if isinstance(node, nodes.math) or node.get("nowrap") or node.get("no-wrap"):
        return node.astext().strip()
    parts = [part.strip() for part in node.astext().split("\n\n") if part.strip()]
    return display_tex(parts) if parts else ""


def _id_prefix(docname: str, index: int) -> str:
    return f"math-{re.sub(r'[^A-Za-z0-9]+', '-', docname).strip('-')}-{index}-"


def render_formula(node: nodes.math | nodes.math_block, docname: str, index: int) -> None:
    """MathML and SVG of one formula, kept on its node; a located warning if it fails."""
    if MATHML in node or FAILED in node:
        return
    tex = formula_tex(node)
    display = isinstance(node, nodes.math_block)
    try:
        drawing = svg(tex, display, _id_prefix(docname, index))
        node[MATHML] = mathml(tex, display)
    except MathError as error:
        node[FAILED] = True
        warn(logger, Subtype.MATH, "%s; it is shown as TeX", error, location=node)
        return
    node[SVG] = drawing.markup
    node[SVG_DEPTH] = drawing.depth


def render_formulas(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.current_document.docname
    formulas = doctree.findall(lambda n: isinstance(n, nodes.math | nodes.math_block))
    for index, node in enumerate(formulas, start=1):
        render_formula(node, docname, index)  # type: ignore[arg-type]


def _rendered(self: HTML5Translator, node: nodes.math | nodes.math_block) -> str | None:
    """The markup this writer shows for *node*, or None when only its TeX can be shown."""
    if MATHML not in node and FAILED not in node:
        # A formula added after reading (by another extension's transform) is rendered here,
        # numbered in writing order so that the output stays reproducible.
        late = getattr(self, "_triptych_late_formulas", 0) + 1
        self._triptych_late_formulas = late  # type: ignore[attr-defined]
        render_formula(node, f"{self.builder.current_docname}-late", late)
    if node.get(FAILED):
        return None
    if self.builder.name in SVG_BUILDERS:
        return str(node[SVG])
    return str(node[MATHML])


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    markup = _rendered(self, node)
    if markup is None:
        self.body.append(self.starttag(node, "code", "", CLASS=FALLBACK_CLASS))
        self.body.append(self.encode(node.astext()) + "</code>")
        raise nodes.SkipNode
    attributes: dict[str, Any] = {"CLASS": "math triptych-math"}
    if self.builder.name in SVG_BUILDERS:
        # A formula drawn wholly above the baseline (\\cdots) has a negative depth: raised.
        attributes["style"] = f"vertical-align: {-float(node[SVG_DEPTH]):.3f}em"
    self.body.append(self.starttag(node, "span", "", **attributes) + markup + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self: HTML5Translator, node: nodes.math_block) -> None:
    markup = _rendered(self, node)
    classes = "math triptych-math" if markup is not None else f"math {FALLBACK_CLASS}"
    self.body.append(self.starttag(node, "div", CLASS=classes))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    if markup is None:
        self.body.append(f"<pre>{self.encode(node.astext())}</pre>")
    else:
        self.body.append(markup)
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> None:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_displaymath, None))
    app.connect("doctree-read", render_formulas, priority=700)
