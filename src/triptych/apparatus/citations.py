"""Citations and the bibliography, from BibTeX, through sphinxcontrib-bibtex.

The extension is always on, so ``{cite:p}``, ``{cite:t}`` and
``{bibliography}`` are known roles and directives whether or not a ``.bib``
file is configured. Its domain resolves a citation to its entry once per
document; every edition links it to the entry in its own way (the PDF's
merged document rewrites the link to the qualified id, see
:mod:`triptych.builders.pdf.ids`).

What triptych adds: a citation that cannot be resolved (no ``.bib`` file,
no entry with that key, or no ``{bibliography}`` listing it) keeps its key
as text and gets a warning at its line, where it would otherwise vanish
from the sentence; bibliographies carry a class naming the reference style,
so an author-year bibliography prints no labels; and a folder without
``conf.py`` uses the ``.bib`` files it holds (:func:`zero_config_overrides`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from triptych.diagnostics import Subtype, warn
from triptych.safety.paths import is_within

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinxcontrib.bibtex.citation_target import CitationTarget
    from sphinxcontrib.bibtex.domain import BibtexDomain

logger = logging.getLogger(__name__)

BIBLIOGRAPHY_CLASS = "triptych-bibliography"
AUTHOR_YEAR_CLASS = "triptych-author-year"
#: A citation whose key is kept as text: it names no entry the publication lists.
UNRESOLVED_CLASS = "triptych-unresolved-citation"
#: Folders a publication without ``conf.py`` never reads .bib files from.
IGNORED_FOLDERS = frozenset({"_build", "build"})


def zero_config_overrides(source: Path) -> dict[str, Any]:
    """Settings for a folder without ``conf.py``: the ``.bib`` files inside it, in name order."""
    root = source.resolve()
    found = []
    for path in sorted(root.rglob("*.bib")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part in IGNORED_FOLDERS for part in relative.parts[:-1]):
            continue
        if path.is_file() and is_within(path.resolve(), (root,)):
            found.append(relative.as_posix())
    return {"bibtex_bibfiles": found} if found else {}


def _no_bibfiles_is_none(_app: Sphinx, config: Config) -> None:
    # sphinxcontrib-bibtex stops the build when bibtex_bibfiles is unset; with triptych a
    # publication without a bibliography is the usual case.
    if config.bibtex_bibfiles is None:
        config.bibtex_bibfiles = []


def _cite_domain(document: nodes.document) -> BibtexDomain:
    env = document.settings.env
    return env.get_domain("cite")  # type: ignore[no-any-return]


def _target_text(target: CitationTarget) -> str:
    pre = f"{{{target.pre}}}" if target.pre else ""
    post = f"{{{target.post}}}" if target.post else ""
    return f"{pre}{target.key}{post}"


class UnresolvedCitations(SphinxPostTransform):
    """A citation that names no listed entry keeps its key as text, with a warning at its line.

    Runs before references are resolved, so sphinxcontrib-bibtex only sees the
    keys it can resolve.
    """

    default_priority = 9

    def run(self, **kwargs: Any) -> None:
        from sphinxcontrib.bibtex.citation_target import parse_citation_targets

        domain = _cite_domain(self.document)
        listed = {
            citation.key
            for citation in domain.citations
            if domain.bibliographies[citation.bibliography_key].list_ == "citation"
        }
        for xref in list(self.document.findall(addnodes.pending_xref)):
            if xref.get("refdomain") != "cite":
                continue
            try:
                targets = list(parse_citation_targets(str(xref["reftarget"])))
            except ValueError:
                continue  # sphinxcontrib-bibtex reports a malformed target itself
            missing = [target for target in targets if target.key not in listed]
            if not missing:
                continue
            for target in missing:
                warn(logger, Subtype.CITATION_UNRESOLVED, "%s", self.reason(target.key, domain),
                     location=xref)  # fmt: skip
            keys = ", ".join(target.key for target in missing)
            kept = nodes.inline(keys, keys, classes=[UNRESOLVED_CLASS])
            found = [target for target in targets if target.key in listed]
            if not found:
                xref.replace_self(kept)
                continue
            xref["reftarget"] = ",".join(_target_text(target) for target in found)
            xref.parent.insert(xref.parent.index(xref) + 1, [nodes.Text(" "), kept])

    def reason(self, key: str, domain: BibtexDomain) -> str:
        if not self.config.bibtex_bibfiles:
            return (
                f"citation {key!r}: no .bib file is configured (set bibtex_bibfiles in conf.py, "
                "or put a .bib file in a folder without conf.py)"
            )
        if key not in domain.bibdata.data.entries:
            return f"citation {key!r}: no entry with that key in {', '.join(self.bibfiles())}"
        return f"citation {key!r}: no {{bibliography}} in the publication lists it"

    def bibfiles(self) -> list[str]:
        return [Path(name).name for name in self.config.bibtex_bibfiles]


class BibliographyClasses(SphinxPostTransform):
    """Mark each bibliography, and say whether its citations are author-year ones."""

    default_priority = 6  # after sphinxcontrib-bibtex lays out the entries (5)

    def run(self, **kwargs: Any) -> None:
        author_year = str(self.config.bibtex_reference_style).startswith("author_year")
        for citation in self.document.findall(nodes.citation):
            container = citation.parent
            if not isinstance(container, nodes.container):
                continue
            for name in (BIBLIOGRAPHY_CLASS, *([AUTHOR_YEAR_CLASS] if author_year else [])):
                if name not in container["classes"]:
                    container["classes"].append(name)


def setup(app: Sphinx) -> None:
    app.setup_extension("sphinxcontrib.bibtex")
    app.connect("config-inited", _no_bibfiles_is_none)
    app.add_post_transform(UnresolvedCitations)
    app.add_post_transform(BibliographyClasses)
