"""A project's TeX macros, expanded in every formula once, when it is read.

mystmd declares macros under ``math:``, Jupyter Book under MathJax's
``tex.macros``. Expanding them in the doctree means every edition, whatever
renders its formulas, prints the same TeX.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Passes over a formula: macros may use macros, but a macro that uses itself stops here.
MAX_PASSES = 16
#: A formula that grows past this is left as written.
MAX_FORMULA = 100_000

_CONTROL_WORD = re.compile(r"\\([A-Za-z]+)")
_ENDS_WITH_WORD = re.compile(r"\\[A-Za-z]+$")


def _argument(tex: str, start: int) -> tuple[str, int] | None:
    """The macro argument at *start* (after spaces): a braced group or one token."""
    position = start
    while position < len(tex) and tex[position] in " \t\n":
        position += 1
    if position >= len(tex):
        return None
    if tex[position] == "{":
        depth, index = 0, position
        while index < len(tex):
            if tex[index] == "\\":
                index += 2
                continue
            if tex[index] == "{":
                depth += 1
            elif tex[index] == "}":
                depth -= 1
                if depth == 0:
                    return tex[position + 1 : index], index + 1
            index += 1
        return None
    if tex[position] == "\\":
        word = _CONTROL_WORD.match(tex, position)
        end = word.end() if word else position + 2
        return tex[position:end], end
    return tex[position], position + 1


def _substitute(body: str, arguments: list[str]) -> str:
    """The macro's body with ``#1``... replaced by its arguments."""

    def argument(number: re.Match[str]) -> str:
        index = int(number.group(1)) - 1
        return arguments[index] if index < len(arguments) else number.group(0)

    return re.sub(r"#([1-9])", argument, body)


def _expand_once(tex: str, macros: dict[str, tuple[str, int]]) -> str:
    pieces: list[str] = []
    position = 0
    while (match := _CONTROL_WORD.search(tex, position)) is not None:
        name = match.group(1)
        # A control word after an escaped backslash (\\name) is a line break and text.
        escaped = match.start() > 0 and tex[match.start() - 1] == "\\"
        body, count = macros.get(name, ("", -1))
        arguments: list[str] = []
        end = match.end()
        while count > 0 and len(arguments) < count and (found := _argument(tex, end)):
            argument, end = found
            arguments.append(argument)
        if escaped or count < 0 or len(arguments) < count:
            pieces.append(tex[position : match.end()])
            position = match.end()
            continue
        expansion = _substitute(body, arguments)
        # A control word at the end of the expansion must not run into letters after it.
        if end < len(tex) and tex[end].isalpha() and _ENDS_WITH_WORD.search(expansion):
            expansion += " "
        pieces.extend((tex[position : match.start()], expansion))
        position = end
    pieces.append(tex[position:])
    return "".join(pieces)


def expand(tex: str, macros: dict[str, tuple[str, int]]) -> str:
    """*tex* with the macros expanded, as TeX would (bounded: a recursive macro stops)."""
    for _ in range(MAX_PASSES):
        expanded = _expand_once(tex, macros)
        if expanded == tex or len(expanded) > MAX_FORMULA:
            return expanded if len(expanded) <= MAX_FORMULA else tex
        tex = expanded
    return tex


def expand_macros(app: Sphinx, doctree: nodes.document) -> None:
    macros = {
        name: (body, count) for name, (body, count) in app.config.triptych_math_macros.items()
    }
    if not macros:
        return
    for formula in [*doctree.findall(nodes.math), *doctree.findall(nodes.math_block)]:
        tex = formula.astext()
        expanded = expand(tex, macros)
        if expanded != tex:
            formula.children = []
            formula.append(nodes.Text(expanded))
