"""Code in print: never hyphenated, and never running past the right margin.

Long lines of a listing wrap; a name too long for a table's column breaks in
it (the column shrinks to the page) instead of pushing the table off the page.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from lxml import etree

from triptych import cli

if TYPE_CHECKING:
    from pathlib import Path

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
