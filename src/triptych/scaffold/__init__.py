"""``triptych new``: a publication that builds at once, to start from.

The templates in ``template/`` are the files written, with ``@name@`` markers
for what the command is given. ``@title_py@`` is the title as a Python string
literal, so any title makes a valid ``conf.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from triptych.config import build_date, slugify

if TYPE_CHECKING:
    from pathlib import Path

#: Template → where it goes in the new publication.
FILES = {
    "conf.py.tmpl": "conf.py",
    "index.md.tmpl": "index.md",
    "writing.md.tmpl": "writing.md",
    "sharing.md.tmpl": "sharing.md",
    "glossary.md.tmpl": "glossary.md",
    "references.md.tmpl": "references.md",
    "references.bib.tmpl": "references.bib",
    "figures/editions.svg": "figures/editions.svg",
    "Makefile.tmpl": "Makefile",
    "gitignore.tmpl": ".gitignore",
    "readthedocs.yaml.tmpl": ".readthedocs.yaml",
    "publish.yml.tmpl": ".github/workflows/publication.yml",
}
MARKER = re.compile(r"@(\w+)@")


class ScaffoldError(Exception):
    """Why a publication cannot be written where it was asked for."""


@dataclass(frozen=True)
class Publication:
    """What the new publication is called and who wrote it."""

    title: str
    author: str

    def values(self) -> dict[str, str]:
        slug = slugify(self.title)
        return {
            "title": self.title,
            "author": self.author,
            "slug": slug,
            "year": str(build_date().year),
            "title_py": _literal(self.title),
            "author_py": _literal(self.author),
            "slug_py": _literal(slug),
        }


def _literal(text: str) -> str:
    # JSON's string escapes are all Python's too.
    return json.dumps(text, ensure_ascii=False)


def _single_line(what: str, text: str) -> str:
    text = text.strip()
    if not text or "\n" in text or "\r" in text:
        msg = f"the {what} must be one line of text"
        raise ScaffoldError(msg)
    return text


def create(target: Path, title: str | None = None, author: str | None = None) -> list[Path]:
    """Write a new publication into *target* (missing or empty); return the files written."""
    if target.exists() and not target.is_dir():
        msg = f"{target}: not a folder"
        raise ScaffoldError(msg)
    if target.is_dir() and any(target.iterdir()):
        msg = f"{target}: the folder is not empty; triptych new writes only into a new or empty one"
        raise ScaffoldError(msg)
    name = target.resolve().name.replace("-", " ").replace("_", " ").strip()
    publication = Publication(
        title=_single_line(
            "title", title if title is not None else name.capitalize() or "Untitled"
        ),
        author=_single_line("author", author if author is not None else "The authors"),
    )
    values = publication.values()
    template = resources.files(__package__) / "template"
    written = []
    for source, destination in FILES.items():
        text = (template / source).read_text(encoding="utf-8")
        text = MARKER.sub(lambda match: values.get(match[1], match[0]), text)
        path = target / destination
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
