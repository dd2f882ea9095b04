"""TeX to MathML (site and EPUB) and to SVG (print), bounded, with the TeX kept as alt text.

Formulas come from articles, which may come from anyone: before a renderer
sees one, its size, its nesting and its use of macro definitions are checked
(``\\def\\a{\\a\\a}`` would expand without end), and whatever a renderer
raises, a ``RecursionError`` included, becomes a :class:`MathError` with a
message an author can act on. Commands a renderer does not know come back
from latex2mathml as text starting with a backslash; they are errors too,
so raw TeX never reaches a reader disguised as a formula.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Longest formula rendered, in characters: a page of display math is well under it.
MAX_TEX_CHARS = 4000
#: Deepest nesting of groups, ``\left``/``\right`` pairs and environments rendered.
MAX_NESTING = 40
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
SVG_NS = "http://www.w3.org/2000/svg"
TEX_ENCODING = "application/x-tex"
#: ziamath's size of one em, in SVG user units; the SVG is then sized in ems of its text.
SVG_EM = 10.0
#: Space kept round a formula's ink in the SVG, in user units.
SVG_MARGIN = 0.5
#: STIX Two Math beside the text face: their x-heights differ by this much (Noto Serif's is larger).
TEXT_SCALE = 1.12

#: Commands that define macros: their expansion is unbounded, so formulas may not use them.
MACRO_DEFINITION = re.compile(
    r"\\(?:[gex]?def|let|(?:re)?newcommand|providecommand|(?:re)?newenvironment"
    r"|DeclareMathOperator)(?![A-Za-z])"
)
#: Commands that only Sphinx's numbering needs; the number is written outside the formula.
NUMBERING_COMMAND = re.compile(r"\\(?:label|tag)\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
#: amsmath environments that number their own rows; Sphinx numbers the whole block instead.
NUMBERED_ENVIRONMENT = re.compile(
    r"\\(begin|end)\s*\{(align|alignat|equation|flalign|gather|multline)\}"
)
OPENING = re.compile(r"\\begin\s*\{|\\left(?![A-Za-z])|(?<!\\)\{")
CLOSING = re.compile(r"\\end\s*\{|\\right(?![A-Za-z])|(?<!\\)\}")
NESTING = re.compile(f"(?P<open>{OPENING.pattern})|(?P<close>{CLOSING.pattern})")
#: A token element whose text is a TeX command: latex2mathml's way of saying it did not know it.
UNKNOWN_COMMAND = re.compile(r"^\\[A-Za-z]+$")


class MathError(ValueError):
    """A formula that cannot be rendered; the message says why, for the author."""


def prepared_tex(tex: str) -> str:
    """*tex* checked against the limits, without the commands only numbering needs."""
    if len(tex) > MAX_TEX_CHARS:
        msg = f"formula of {len(tex)} characters is longer than the limit of {MAX_TEX_CHARS}"
        raise MathError(msg)
    if definition := MACRO_DEFINITION.search(tex):
        msg = f"macro definitions ({definition.group()}) are not supported in formulas"
        raise MathError(msg)
    depth = deepest = 0
    for match in NESTING.finditer(tex):
        depth += 1 if match["open"] else -1
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        msg = f"formula nests {deepest} levels deep; the limit is {MAX_NESTING}"
        raise MathError(msg)
    unnumbered = NUMBERED_ENVIRONMENT.sub(r"\\\1{\2*}", tex)
    return NUMBERING_COMMAND.sub("", unnumbered).strip()


def display_tex(parts: list[str]) -> str:
    """One formula for a display block of one or more equations (Sphinx's blank-line rule)."""
    if len(parts) == 1 and r"\\" not in parts[0]:
        return parts[0]
    return r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}"


def _reason(error: Exception) -> str:
    """What latex2mathml's exception says, in words: ``MissingEndError`` is "missing end"."""
    name = type(error).__name__
    if name == "NoAvailableTokensError":
        return "it ends before a command or group is complete"
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Error")).lower()
    return words + (f" ({error})" if str(error) else "")


def _unknown_commands(root: etree._Element) -> Iterator[str]:
    for element in root.iter(f"{{{MATHML_NS}}}mi", f"{{{MATHML_NS}}}mo", f"{{{MATHML_NS}}}mtext"):
        if UNKNOWN_COMMAND.match((element.text or "").strip()):
            yield (element.text or "").strip()


def _converted(tex: str, display: bool) -> etree._Element:
    """latex2mathml's MathML for *tex*, parsed; every failure a :class:`MathError`."""
    import latex2mathml.converter

    try:
        markup = latex2mathml.converter.convert(tex, display="block" if display else "inline")
        root = etree.fromstring(markup)
    except RecursionError:
        msg = "formula expands too deeply to render"
        raise MathError(msg) from None
    except Exception as error:  # noqa: BLE001 - a renderer's failure is the formula's problem
        raise MathError(f"formula cannot be read: {_reason(error)}") from None
    if unknown := sorted(set(_unknown_commands(root))):
        msg = f"unknown TeX command{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
        raise MathError(msg)
    return root


def mathml(tex: str, display: bool) -> str:
    """MathML for *tex*, with the TeX as ``alttext`` and as an annotation."""
    source = prepared_tex(tex)
    root = _converted(source, display)
    semantics = etree.Element(f"{{{MATHML_NS}}}semantics")
    presentation = list(root)
    if len(presentation) == 1:
        semantics.append(presentation[0])
    else:
        row = etree.SubElement(semantics, f"{{{MATHML_NS}}}mrow")
        row.extend(presentation)
    annotation = etree.SubElement(semantics, f"{{{MATHML_NS}}}annotation", encoding=TEX_ENCODING)
    annotation.text = tex
    root.append(semantics)
    root.set("alttext", tex)
    return str(etree.tostring(root, encoding="unicode"))


@dataclass(frozen=True)
class Svg:
    """A formula drawn as SVG; sizes are in ems of the text around it."""

    markup: str
    width: float
    height: float
    depth: float
    """How far the drawing reaches below the text's baseline."""


def svg(tex: str, display: bool, id_prefix: str) -> Svg:
    """SVG for *tex*: glyph outlines, ids starting with *id_prefix*, the TeX as its name.

    Glyphs are ``<symbol>`` elements that every formula would otherwise name
    alike, so two formulas on one page would define the same id twice.
    """
    with warnings.catch_warnings():
        # ziamath finds its font with importlib.resources.path, deprecated since Python 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        from ziamath.zmath import Latex

    source = prepared_tex(tex)
    _converted(source, display)  # the same checks as the MathML, the same messages
    try:
        formula = Latex(source, size=SVG_EM, inline=not display, margin=SVG_MARGIN)
        root = etree.fromstring(formula.svg())
        bottom = formula.node.bbox.ymin
    except RecursionError:
        msg = "formula nests too deeply to draw"
        raise MathError(msg) from None
    except Exception as error:  # noqa: BLE001 - a renderer's failure is the formula's problem
        raise MathError(f"formula cannot be drawn: {_reason(error)}") from None
    _prefix_ids(root, id_prefix)
    width = float(root.get("width", "0")) / SVG_EM * TEXT_SCALE
    height = float(root.get("height", "0")) / SVG_EM * TEXT_SCALE
    depth = (SVG_MARGIN - bottom) / SVG_EM * TEXT_SCALE
    root.set("width", f"{width:.3f}em")
    root.set("height", f"{height:.3f}em")
    root.set("role", "img")
    root.set("aria-label", tex)
    title = etree.Element(f"{{{SVG_NS}}}title")
    title.text = tex
    root.insert(0, title)
    return Svg(etree.tostring(root, encoding="unicode"), width, height, depth)


def _prefix_ids(root: etree._Element, prefix: str) -> None:
    for element in root.iter():
        if element_id := element.get("id"):
            element.set("id", prefix + element_id)
        for name in ("href", "{http://www.w3.org/1999/xlink}href"):
            if (target := element.get(name, "")).startswith("#"):
                element.set(name, "#" + prefix + target[1:])
