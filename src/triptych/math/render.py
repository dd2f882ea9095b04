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
from xml.etree import ElementTree

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
#: amsmath environments that align their rows at ``&`` but that latex2mathml does not know:
#: it writes their ``&`` into the MathML unescaped. ``align*`` aligns the same way (columns
#: right, left, right, ...), so they are converted as one; an ``alignat``'s column count goes.
ALIGNING_ENVIRONMENT = re.compile(
    r"\\begin\s*\{(?:aligned|flalign\*)\}|\\begin\s*\{(?:alignedat|alignat\*)\}\s*\{[^{}]*\}"
)
ALIGNING_END = re.compile(r"\\end\s*\{(?:aligned|alignedat|alignat\*|flalign\*)\}")
#: latex2mathml's MathML for an ``&`` outside any table: written unescaped, no reader parses it.
STRAY_COLUMN = "<mi>&</mi>"
#: ``\\color`` given its colour and a braced argument, up to the argument's opening brace.
COLOUR_WITH_ARGUMENT = re.compile(r"\\color\s*\{[^{}]*\}\s*\{")
#: A command whose argument is text, up to the argument's opening brace.
TEXT_WITH_ARGUMENT = re.compile(r"\\(?:text(?:rm|bf|it|sf|tt|up|md|normal)?|mbox|hbox)\s*\{")
#: A character escaped in text: latex2mathml and ziamath print a text argument as written, so
#: ``\_`` showed its backslash. Those of ``character`` are printed as themselves; ``&``, ``{``
#: and ``}`` would end the text or a column there, so they are set apart, as math.
TEXT_ESCAPE = re.compile(r"\\(?:(?P<character>[_%#$ ])|(?P<apart>[&{}])|.)", re.DOTALL)
#: A ``$`` that opens or closes math inside text (``\$`` is a dollar sign, skipped).
TEXT_MATH_SHIFT = re.compile(r"\\.|(?P<shift>\$)", re.DOTALL)
#: An environment's beginning or end.
ENVIRONMENT_EDGE = re.compile(r"\\(?P<edge>begin|end)\s*\{[A-Za-z]+\*?\}")
#: A superscript or subscript, after any space.
SCRIPT_AFTER = re.compile(r"\s*[\^_]")
#: What says where a formula's rows and columns are: environments' edges, ``\\``, ``&``
#: (an escaped ``\&`` is a character, matched as any other command so that it is skipped).
LAYOUT_TOKEN = re.compile(
    r"\\(?P<edge>begin|end)\s*\{(?P<name>[A-Za-z]+)\*?\}|(?P<row>\\\\)|\\.|(?P<column>&)"
)
OPENING = re.compile(r"\\begin\s*\{|\\left(?![A-Za-z])|(?<!\\)\{")
CLOSING = re.compile(r"\\end\s*\{|\\right(?![A-Za-z])|(?<!\\)\}")
NESTING = re.compile(f"(?P<open>{OPENING.pattern})|(?P<close>{CLOSING.pattern})")
#: A token element whose text is a TeX command: latex2mathml's way of saying it did not know it.
UNKNOWN_COMMAND = re.compile(r"^\\[A-Za-z]+$")

# MathML 3's value types (the RELAX NG schema epubcheck validates against), as regular
# expressions over one whitespace-separated token.
_NAMED_SPACE = r"(?:negative)?(?:(?:very){0,2}thi(?:n|ck)|medium)mathspace"
_LENGTH = rf"(?:-?[0-9]*(?:[0-9]\.?|\.[0-9])[0-9]*(?:e[mx]|in|cm|mm|p[xtc]|%)?|{_NAMED_SPACE})"
#: mpadded's lengths may be signed increments and name the content's own dimensions.
_MPADDED_LENGTH = (
    r"[+-]?[0-9]*(?:[0-9]\.?|\.[0-9])[0-9]*"
    rf"(?:%?(?:height|depth|width)?|e[mx]|in|cm|mm|p[xtc]|{_NAMED_SPACE})?"
)
_BOOLEAN = "true|false"
_LINE_STYLE = "none|solid|dashed"
_COLUMN_ALIGN = "left|center|right"
_ROW_ALIGN = "top|bottom|center|baseline|axis"
_COLOR = (
    "#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?|aqua|black|blue|fuchsia|gray|green|lime|maroon|navy"
    "|olive|purple|red|silver|teal|white|yellow"
)
_VARIANT = (
    "normal|bold|italic|bold-italic|double-struck|bold-fraktur|script|bold-script|fraktur"
    "|sans-serif|bold-sans-serif|sans-serif-italic|sans-serif-bold-italic|monospace|initial"
    "|tailed|looped|stretched"
)


@dataclass(frozen=True)
class _Grammar:
    """The values one attribute takes: a token pattern, and whether a list of them is allowed."""

    token: str
    is_list: bool = False
    case_insensitive: bool = False

    def allows(self, value: str) -> bool:
        tokens = value.split() if self.is_list else [value.strip()]
        flags = re.IGNORECASE if self.case_insensitive else 0
        return bool(tokens) and all(re.fullmatch(self.token, t, flags) for t in tokens)


#: Presentation attributes latex2mathml writes, or that a formula's TeX can fill
#: (``\hspace``, ``\color``, an array's column specification), with their MathML 3 types.
ATTRIBUTE_GRAMMARS: dict[str, _Grammar] = {
    **dict.fromkeys(
        ("width", "height", "depth", "lspace", "rspace", "minsize", "voffset", "scriptminsize"),
        _Grammar(_LENGTH),
    ),
    "maxsize": _Grammar(f"{_LENGTH}|infinity"),
    "mathsize": _Grammar(f"small|normal|big|{_LENGTH}"),
    **dict.fromkeys(("columnspacing", "rowspacing"), _Grammar(_LENGTH, is_list=True)),
    "framespacing": _Grammar(_LENGTH, is_list=True),
    "columnwidth": _Grammar(f"auto|fit|{_LENGTH}", is_list=True),
    **dict.fromkeys(("columnlines", "rowlines"), _Grammar(_LINE_STYLE, is_list=True)),
    "frame": _Grammar(_LINE_STYLE),
    "columnalign": _Grammar(_COLUMN_ALIGN, is_list=True),
    "rowalign": _Grammar(_ROW_ALIGN, is_list=True),
    **dict.fromkeys(
        (
            "displaystyle",
            "stretchy",
            "fence",
            "separator",
            "accent",
            "accentunder",
            "largeop",
            "movablelimits",
            "symmetric",
            "equalrows",
            "equalcolumns",
        ),
        _Grammar(_BOOLEAN),
    ),
    "form": _Grammar("prefix|infix|postfix"),
    "mathvariant": _Grammar(_VARIANT),
    "mathcolor": _Grammar(_COLOR, case_insensitive=True),
    "mathbackground": _Grammar(f"{_COLOR}|transparent", case_insensitive=True),
    "scriptlevel": _Grammar(r"[+-]?[0-9]+"),
    "linebreak": _Grammar("auto|newline|nobreak|goodbreak|badbreak|indentingnewline"),
    "display": _Grammar("block|inline"),
}
#: Where an attribute's type differs from the table's on a particular element.
ELEMENT_GRAMMARS: dict[tuple[str, str], _Grammar] = {
    **{
        ("mpadded", name): _Grammar(_MPADDED_LENGTH)
        for name in ("width", "height", "depth", "lspace", "voffset")
    },
    ("mtable", "width"): _Grammar(f"auto|{_LENGTH}"),
    ("mtd", "columnalign"): _Grammar(_COLUMN_ALIGN),
    **{(tag, "rowalign"): _Grammar(_ROW_ALIGN) for tag in ("mtd", "mtr", "mlabeledtr")},
}


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
    aligned = ALIGNING_END.sub(
        r"\\end{align*}", ALIGNING_ENVIRONMENT.sub(r"\\begin{align*}", unnumbered)
    )
    return _scripted_environments_grouped(
        _colours_confined(
            _text_escapes_resolved(_text_math_lifted(NUMBERING_COMMAND.sub("", aligned)))
        )
    ).strip()


def _group_end(tex: str, start: int) -> int:
    """Where the group opened by the brace at *start* closes (just after it), or -1."""
    depth, index = 0, start
    while index < len(tex):
        character = tex[index]
        if character == "\\":
            index += 2  # an escaped brace is a character, not a group's edge
            continue
        depth += {"{": 1, "}": -1}.get(character, 0)
        index += 1
        if depth == 0:
            return index
    return -1


def _colours_confined(tex: str) -> str:
    """Each ``\\color{c}{x}`` made ``{\\color{c}{x}}``: the colour of *x* alone.

    That is how MathJax reads it, and what authors mean; latex2mathml instead
    colours the rest of the formula, ``&`` and ``\\\\`` included, so a coloured
    cell took the matrix's other columns into its colour and they were no longer
    columns (the formula was refused as having an ``&`` outside any environment).
    """
    pieces: list[str] = []
    position = 0
    for match in COLOUR_WITH_ARGUMENT.finditer(tex):
        if match.start() < position:
            continue  # inside an argument already confined
        end = _group_end(tex, match.end() - 1)
        if end < 0:
            continue  # an argument never closed: latex2mathml reports it
        argument = _colours_confined(tex[match.end() : end - 1])
        pieces += [tex[position : match.start()], "{", match.group(), argument, "}}"]
        position = end
    return "".join(pieces) + tex[position:]


def _text_math_lifted(tex: str) -> str:
    """Math written inside text (``\\text{for some $c > 0$}``) taken out of it, as math.

    MathJax and TeX set ``$...$`` in a text argument as a formula; latex2mathml and
    ziamath print it as text, dollar signs and backslashes included. The text is cut
    at each ``$`` into text arguments of the same command around the math.
    """
    pieces: list[str] = []
    position = 0
    for match in TEXT_WITH_ARGUMENT.finditer(tex):
        if match.start() < position:
            continue  # inside an argument already cut
        end = _group_end(tex, match.end() - 1)
        if end < 0:
            continue  # an argument never closed: latex2mathml reports it
        argument = tex[match.end() : end - 1]
        shifts = [m.start() for m in TEXT_MATH_SHIFT.finditer(argument) if m["shift"]]
        if len(shifts) < 2:
            continue  # no math in it (a lone "$" stays as TeX would refuse it)
        if len(shifts) % 2:
            shifts.pop()  # an unclosed "$" stays text
        command = match.group()
        cut: list[str] = []
        previous = 0
        for opening, closing in zip(shifts[::2], shifts[1::2], strict=True):
            text_before = argument[previous:opening]
            if text_before:
                cut.append(command + text_before + "}")
            cut.append("{" + argument[opening + 1 : closing] + "}")
            previous = closing + 1
        if argument[previous:]:
            cut.append(command + argument[previous:] + "}")
        pieces += [tex[position : match.start()], "{", *cut, "}"]
        position = end
    return "".join(pieces) + tex[position:]


def _text_escapes_resolved(tex: str) -> str:
    """Escaped characters in text (``\\text{transistor\\_count}``) made the characters TeX prints.

    ``\\&``, ``\\{`` and ``\\}`` cut the text, as :func:`_text_math_lifted` cuts it at
    math, into text arguments of the same command around the escape, which math mode
    prints as the character.
    """
    pieces: list[str] = []
    position = 0
    for match in TEXT_WITH_ARGUMENT.finditer(tex):
        if match.start() < position:
            continue  # inside an argument already resolved
        end = _group_end(tex, match.end() - 1)
        if end < 0:
            continue  # an argument never closed: latex2mathml reports it
        argument = tex[match.end() : end - 1]
        command = match.group()
        cut: list[str] = []
        text: list[str] = []
        previous = 0
        for escape in TEXT_ESCAPE.finditer(argument):
            if not (escape["character"] or escape["apart"]):
                continue  # a command, printed as latex2mathml prints it
            text.append(argument[previous : escape.start()])
            previous = escape.end()
            if escape["character"]:
                text.append(escape["character"])
                continue
            if "".join(text):
                cut.append(command + "".join(text) + "}")
            text = []
            cut.append(escape.group())
        text.append(argument[previous:])
        if not cut:
            pieces += [tex[position : match.end()], "".join(text), "}"]
        else:
            if "".join(text):
                cut.append(command + "".join(text) + "}")
            pieces += [tex[position : match.start()], "{", *cut, "}"]
        position = end
    return "".join(pieces) + tex[position:]


def _scripted_environments_grouped(tex: str) -> str:
    """An environment with a superscript or subscript after it (``matrix^\\top``) braced whole.

    ziamath fails an assertion drawing a script on an environment; on a group it draws it.
    """
    starts: list[int] = []
    braces: list[tuple[int, str]] = []
    for token in ENVIRONMENT_EDGE.finditer(tex):
        if token["edge"] == "begin":
            starts.append(token.start())
        elif starts:
            start = starts.pop()
            if SCRIPT_AFTER.match(tex, token.end()):
                braces += [(start, "{"), (token.end(), "}")]
    # From the end, so that each brace goes where it was found in the formula as written.
    for position, brace in sorted(braces, reverse=True):
        tex = tex[:position] + brace + tex[position:]
    return tex


def _layout(tex: str) -> Iterator[tuple[str, str | None]]:
    """Each ``\\\\`` (``"row"``) and ``&`` (``"column"``) of *tex*, with the environment it is in."""
    environments: list[str] = []
    for token in LAYOUT_TOKEN.finditer(tex):
        if token["edge"] == "begin":
            environments.append(token["name"])
        elif token["edge"] == "end":
            if environments:
                environments.pop()
        elif token["row"] or token["column"]:
            yield (
                ("row" if token["row"] else "column"),
                (environments[-1] if environments else None),
            )


def display_tex(parts: list[str]) -> str:
    """One formula for a display block of one or more equations (Sphinx's blank-line rule).

    As Sphinx's LaTeX writer does, the equations are the rows of one ``aligned``, so
    their ``&`` line up with each other; an equation that breaks or aligns its own
    lines outside any environment is wrapped too, where TeX would otherwise refuse it.
    """
    if len(parts) == 1 and all(within is not None for _, within in _layout(parts[0])):
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
        if STRAY_COLUMN in markup:
            msg = "an & is outside any environment that aligns columns, such as aligned or cases"
            raise MathError(msg)
        root = etree.fromstring(markup)
    except MathError:
        raise
    except RecursionError:
        msg = "formula expands too deeply to render"
        raise MathError(msg) from None
    except Exception as error:  # noqa: BLE001 - a renderer's failure is the formula's problem
        raise MathError(f"formula cannot be read: {_reason(error)}") from None
    if unknown := sorted(set(_unknown_commands(root))):
        msg = f"unknown TeX command{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
        raise MathError(msg)
    return root


def _drop_invalid_attributes(root: etree._Element) -> None:
    """Remove attributes MathML does not allow with the value latex2mathml gave them.

    latex2mathml writes some values it computed without checking them (an
    ``align*`` of one column gets ``columnspacing=""``) and copies others from
    the TeX; EPUB validators reject such a value and readers ignore it. Every
    MathML attribute is optional, so without it a reader uses the default.
    """
    for element in root.iter(f"{{{MATHML_NS}}}*"):
        tag = etree.QName(element).localname
        for name, value in list(element.attrib.items()):
            if "}" in name:
                continue  # another vocabulary's attribute, such as xml:lang
            grammar = ELEMENT_GRAMMARS.get((tag, name)) or ATTRIBUTE_GRAMMARS.get(name)
            if not value.strip() or (grammar is not None and not grammar.allows(value)):
                del element.attrib[name]


#: MathML's token elements: text only, never other elements.
TOKEN_ELEMENTS = frozenset({"mi", "mn", "mo", "ms", "mtext"})


def _tokens_flattened(root: etree._Element) -> None:
    """Give each token element its text in place of the elements latex2mathml put in it.

    ``\\mathop{\\mathrm{Var}}`` comes back as an ``mo`` holding rows of ``mi``, which
    MathML does not allow (EPUB validators reject it); the operator's text is what it means.
    """
    for element in list(root.iter(*(f"{{{MATHML_NS}}}{tag}" for tag in TOKEN_ELEMENTS))):
        if len(element):
            text = "".join(
                # A space inside the operator (``arg\\,max``) as a thin space.
                "\N{THIN SPACE}" if etree.QName(node).localname == "mspace" else (node.text or "")
                for node in element.iterdescendants()
            )
            for child in list(element):
                element.remove(child)
            element.text = text


def mathml(tex: str, display: bool) -> str:
    """MathML for *tex*, with the TeX as ``alttext`` and as an annotation."""
    source = prepared_tex(tex)
    root = _converted(source, display)
    _drop_invalid_attributes(root)
    _tokens_flattened(root)
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


#: Characters that have a Unicode superscript and subscript form, for a formula written as text.
_SUPERSCRIPTS = str.maketrans("0123456789+-=()n\N{MINUS SIGN}", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ⁻")
_SUBSCRIPTS = str.maketrans(
    "0123456789+-=()aehijklmnoprstuvx\N{MINUS SIGN}", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₋"
)


def plain_text(tex: str) -> str:
    """*tex* as text, for where only text can be shown (a PDF bookmark, an EPUB's contents).

    The characters of its MathML (``\\alpha`` is the Greek letter), scripts as Unicode scripts
    where every character has one (``T_1`` is T₁), else after ``_`` or ``^``;
    the TeX itself when the formula cannot be read.
    """
    try:
        root = _converted(prepared_tex(tex), display=False)
    except MathError:
        return tex
    return " ".join(_text_of(root).split())


def _text_of(element: etree._Element) -> str:
    tag = etree.QName(element).localname
    if tag == "annotation":
        return ""
    parts = [_text_of(child) for child in element]
    if tag in {"msub", "msup"} and len(parts) == 2:
        return parts[0] + _script(parts[1], superscript=tag == "msup")
    if tag == "msubsup" and len(parts) == 3:
        return parts[0] + _script(parts[1], superscript=False) + _script(parts[2], superscript=True)
    if tag == "mfrac" and len(parts) == 2:
        return f"{_operand(parts[0])}/{_operand(parts[1])}"
    if tag == "msqrt":
        return "\N{SQUARE ROOT}" + _operand("".join(parts))
    return (element.text or "") + "".join(parts)


def _operand(text: str) -> str:
    """*text* in parentheses unless it is one name or number."""
    return text if text.isalnum() else f"({text})"


def _script(text: str, superscript: bool) -> str:
    """*text* as a script: in Unicode's script characters when each has one."""
    table = _SUPERSCRIPTS if superscript else _SUBSCRIPTS
    if text and all(ord(character) in table for character in text):
        return text.translate(table)
    return ("^" if superscript else "_") + _operand(text)


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
        from ziamath.tex import tex2mml
        from ziamath.zmath import Math

    source = prepared_tex(tex)
    _converted(source, display)  # the same checks as the MathML, the same messages
    try:
        # ziamath's Latex() would hand Math() this MathML as a string, which it "unescapes"
        # first: a greedy pattern meant to turn a number's leading hyphen into a minus sign
        # runs from the first <mn> to any later "-" (\text{-}), leaving tags unbalanced.
        # Parsed here and given as an element, it is spared that; its signs set as intended.
        element = _with_minus_signs(ElementTree.fromstring(tex2mml(source, inline=not display)))
        formula = Math(element, size=SVG_EM, margin=SVG_MARGIN)
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


def _with_minus_signs(root: ElementTree.Element) -> ElementTree.Element:
    """*root* with a hyphen as an operator or a number's sign drawn as a minus, as ziamath would."""
    for element in root.iter():
        tag = element.tag.rpartition("}")[2]
        text = element.text or ""
        if tag == "mn" and text.lstrip().startswith("-"):
            element.text = "\N{MINUS SIGN}" + text.lstrip()[1:]
        elif tag == "mo" and text.strip() == "-":
            element.text = " \N{MINUS SIGN} "
    return root


def _prefix_ids(root: etree._Element, prefix: str) -> None:
    for element in root.iter():
        if element_id := element.get("id"):
            element.set("id", prefix + element_id)
        for name in ("href", "{http://www.w3.org/1999/xlink}href"):
            if (target := element.get(name, "")).startswith("#"):
                element.set(name, "#" + prefix + target[1:])
