"""Article PDFs: each chapter of the book laid out on its own.

A chapter that stands alone cannot link into the rest of the book, so its
references to other articles point at the site (when ``html_baseurl`` is set)
or become text naming the article, and its glossary back-references name the
articles instead of their pages.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from docutils import nodes

from triptych.builders.pdf.assembly import PAGE_REFERENCE_CLASS
from triptych.documents import title_of
from triptych.glossary.domain import glossary_domain
from triptych.glossary.transforms import BACKREFS_CLASS, used_in
from triptych.rawhtml import Attributes, rewrite_start_tags

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment


def standalone_chapter(
    env: BuildEnvironment, docname: str, chapter: nodes.container, owners: dict[str, str]
) -> nodes.container:
    """A copy of *chapter* whose references leave no dangling link once it stands alone."""
    standalone = chapter.deepcopy()  # docutils' copy: the merged document around it stays put
    base = str(env.config.html_baseurl or "").rstrip("/")
    glossary_docs = glossary_domain(env).glossary_docs()
    for paragraph in list(standalone.findall(nodes.paragraph)):
        if BACKREFS_CLASS in paragraph["classes"]:
            # Pages of other articles are unknown here: name the articles instead.
            paragraph.replace_self(articles_using(env, paragraph, owners, base))
    for reference in list(standalone.findall(nodes.reference)):
        target = str(reference.get("refuri", ""))
        owner = owners.get(target.removeprefix("#")) if target.startswith("#") else None
        if owner is None or owner == docname:
            continue
        reference["classes"] = [c for c in reference["classes"] if c != PAGE_REFERENCE_CLASS]
        fragment = target.removeprefix("#").removeprefix(f"{owner}--")
        if base:
            page = f"{base}/{owner}.html"
            reference["refuri"] = page if fragment.startswith("document-") else f"{page}#{fragment}"
            continue
        text = reference.astext()
        title = title_of(env, owner)
        if owner not in glossary_docs and text != title:
            text = f"{text} ({title})"
        reference.replace_self(nodes.inline(text, text))
    for raw in list(standalone.findall(nodes.raw)):
        if "html" in raw.get("format", "").split():
            markup = raw.astext()
            alone = rewrite_start_tags(markup, partial(_raw_link_alone, docname, owners, base))
            if alone != markup:
                raw[:] = [nodes.Text(alone)]
    return standalone


def _raw_link_alone(
    docname: str, owners: dict[str, str], base: str, tag: str, attributes: Attributes, _line: int
) -> Attributes | None:
    """A raw HTML link into another article: to the site when it has an address, else text."""
    target = dict(attributes).get("href") or ""
    owner = owners.get(target.removeprefix("#")) if tag == "a" and target.startswith("#") else None
    if owner is None or owner == docname:
        return None
    if not base:
        return [(name, value) for name, value in attributes if name != "href"]
    fragment = target.removeprefix("#").removeprefix(f"{owner}--")
    page = f"{base}/{owner}.html"
    uri = page if fragment.startswith("document-") else f"{page}#{fragment}"
    return [(name, uri if name == "href" else value) for name, value in attributes]


def articles_using(
    env: BuildEnvironment, back_references: nodes.paragraph, owners: dict[str, str], base: str
) -> nodes.paragraph:
    """The back-reference line naming the articles (linked to the site when it has an address)."""
    targets = [str(r.get("refuri", "")) for r in back_references.findall(nodes.reference)]
    documents = dict.fromkeys(owners[t[1:]] for t in targets if t[1:] in owners)
    groups: list[list[nodes.Node]] = []
    for docname in documents:
        title = title_of(env, docname)
        link: nodes.Node = (
            nodes.reference("", title, refuri=f"{base}/{docname}.html")
            if base
            else nodes.Text(title)
        )
        groups.append([link])
    return used_in(groups)
