"""Code in print: never hyphenated, and never running past the right margin.

Long lines of a listing wrap; a name too long for a table's column breaks in
it (the column shrinks to the page) instead of pushing the table off the page.
"""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

from lxml import etree

from triptych import cli

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

#: A4 is 595.3 points wide; print.css leaves 22 mm (62.4 pt) on the right.
RIGHT_EDGE = 595.3 - 62.4
LONG_NAME = "a_table_cell_code_value_that_is_long_and_unbreakable_" * 3 + "in_a_narrow_column"
ARTICLE = f"""# Code

A sentence with `inline_code_that_is_rather_long_and_could_be_hyphenated_anywhere` in it.

| third | column two |
|---|---|
| text | `{LONG_NAME}` |

```python
x = call_something_with_a_long_name(argument_one, argument_two, argument_three, argument_four)
```

```{{code-block}} python
:linenos:

y = call_something_with_a_long_name(argument_one, argument_two, argument_three, argument_four)
```
"""


def words_on_pages(pdf: Path) -> list[tuple[str, float]]:
    """Every word poppler reads from the article's pages, with where it ends on the right."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", "-f", "4", str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    tree = etree.fromstring(xml.encode())
    return [
        (word.text or "", float(word.get("xMax")))
        for word in tree.iter("{http://www.w3.org/1999/xhtml}word")
    ]


def test_code_is_not_hyphenated_and_stays_within_the_margin(tmp_path: Path) -> None:
    source = tmp_path / "code"
    source.mkdir()
    (source / "index.md").write_text(ARTICLE)
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-f", "pdf", "-W"]) == 0
    words = words_on_pages(out / "pdf" / "code.pdf")
    assert "third" in [word for word, _ in words]
    beyond = [(word, right) for word, right in words if right > RIGHT_EDGE + 1]
    assert beyond == []
    # Hyphenation would add U+2010 at a line's end; the names read whole when lines are joined.
    assert not [word for word, _ in words if word.endswith(("\u2010", "-"))]
    text = "".join(word for word, _ in words)
    assert LONG_NAME in text
    assert "inline_code_that_is_rather_long_and_could_be_hyphenated_anywhere" in text


#: A name with no place to break but between its letters, as long as a line of code.
UNBROKEN_NAME = "averyveryverylongidentifier" * 3 + "withoutanyseparatorsinit" + "q" * 5
MARKERS = [
    ("os_name", ":py:data:`os.name`", "``posix``, ``java``"),
    ("platform_python_implementation", ":py:func:`platform.python_implementation()`", "``PyPy``"),
    ("python_full_version", ":py:func:`platform.python_version()`", "``3.15.0a1``"),
    ("implementation_name", ":py:data:`sys.implementation.name <sys.implementation>`", "``pypy``"),
    ("a_marker_made_of_many_short_words_joined_by_underscores", "see below", "``3.15``"),
]
VERSIONS = ("3.15.0a1", "2024.10.1")
PROSE = "a sample value, for CPython and PyPy respectively, long enough to take up the room"
MARKER_TABLE = "\n".join(
    [
        "Markers",
        "=======",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - Marker",
        "     - Python equivalent",
        "     - Type",
        "     - Sample values",
        *(
            line
            for name, equivalent, sample in MARKERS
            for line in (
                f"   * - ``{name}``",
                f"     - {equivalent}",
                "     - String",
                f"     - {sample} ({PROSE})",
            )
        ),
        "",
        ".. list-table::",
        "",
        f"   * - ``{UNBROKEN_NAME}``",
        f"     - {PROSE}",
        "",
        # Versions alone in their columns, beside prose: each column as narrow as they let it.
        ".. list-table::",
        "",
        *(
            line
            for version in VERSIONS
            for line in (
                f"   * - ``{version}``",
                *(f"     - ``{version}``" for _column in range(4)),
                f"     - {PROSE} {PROSE}",
            )
        ),
        "",
    ]
)


def broken_only_after_separators(name: str) -> re.Pattern[str]:
    """*name* as poppler reads it from lines that may break after "_", "." or "/" only."""
    return re.compile("".join(re.escape(c) + ("\n?" if c in "_./" else "") for c in name))


def test_names_in_a_table_break_after_underscores_dots_and_slashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Code breaking between any characters let a column of names shrink to a few letters
    # a line beside a column of prose ("platform_" / "python_im" / "plementat" / "ion").
    source = tmp_path / "markers"
    source.mkdir()
    (source / "index.rst").write_text(MARKER_TABLE)
    (source / "conf.py").write_text('project = "Markers"\nextensions = ["triptych"]\n')
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W"]) == 0
    pdf = out / "pdf" / "markers.pdf"
    text = subprocess.run(
        ["pdftotext", "-raw", "-f", "4", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for name in [
        *(name for name, _, _ in MARKERS),
        "platform.python_implementation()",
        "sys.implementation.name",
    ]:
        assert broken_only_after_separators(name).search(text), (name, text)
    # The breaks write no character: the names copy as written.
    assert "\u200b" not in text
    # A number's dots are not a name's: "3.15.0a1" is not broken after "3.".
    for version in VERSIONS:
        assert version in text, (version, text)
    # A name with nowhere to break still breaks in its column, within the margin.
    words = words_on_pages(pdf)
    assert [(word, right) for word, right in words if right > RIGHT_EDGE + 1] == []
    assert UNBROKEN_NAME in text.replace("\n", "")
    # And the text audit reads each name broken after its underscores as one word (one
    # broken between its letters, it cannot tell from two words, and reports).
    capsys.readouterr()
    cli.main(["check", str(out)])
    missing = re.findall(r"missing from the PDF: \"([^\"]+)\"", capsys.readouterr().out)
    assert missing == [UNBROKEN_NAME.casefold()]
