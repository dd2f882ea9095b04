"""Parts of the EPUB that are not chapters: cover, title page, accessibility metadata, archive.

ebooklib assembles the package; what it leaves out or gets wrong for
reading systems and validators (``xml:lang`` on the package, fixed archive
dates, a generated cover) is done here.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from html import escape
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    import datetime as dt

    from triptych.documents import TitlePage

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def cover_svg(title: str, subtitle: str, authors: list[str]) -> bytes:
    """A plain typographic cover: the title, the subtitle and the authors on a dark field."""
    width, height = 1600, 2400
    lines: list[str] = []
    y = 620
    for line in textwrap.wrap(title, 16) or [""]:
        lines.append(f'<text x="140" y="{y}" class="title">{escape(line)}</text>')
        y += 170
    y += 60
    for line in textwrap.wrap(subtitle, 30):
        lines.append(f'<text x="140" y="{y}" class="subtitle">{escape(line)}</text>')
        y += 90
    byline = escape(", ".join(authors))
    label = escape(". ".join(part for part in (title, subtitle, ", ".join(authors)) if part))
    body = "\n  ".join(lines)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">
  <title>{label}</title>
  <style>
    text {{ fill: #ffffff; font-family: 'DejaVu Serif', Georgia, serif; }}
    .title {{ font-size: 150px; font-weight: bold; }}
    .subtitle {{ font-size: 70px; fill: #d8e2f0; }}
    .authors {{ font-size: 60px; font-family: 'DejaVu Sans', Arial, sans-serif; }}
  </style>
  <rect width="{width}" height="{height}" fill="#1a3d6d"/>
  <rect x="140" y="420" width="240" height="16" fill="#d8a03a"/>
  {body}
  <text x="140" y="{height - 220}" class="authors">{byline}</text>
</svg>
""".encode()


def cover_page(image: str, description: str) -> str:
    return (
        '<section epub:type="cover" class="triptych-cover">'
        f'<img src="{escape(image)}" alt="{escape(description)}"/>'
        "</section>"
    )


def title_page(page: TitlePage) -> str:
    parts = [
        f'<section epub:type="titlepage" class="triptych-title-page"><h1>{escape(page.title)}</h1>'
    ]
    if page.subtitle:
        parts.append(f'<p class="triptych-subtitle">{escape(page.subtitle)}</p>')
    if page.authors:
        parts.append(f'<p class="triptych-authors">{escape(", ".join(page.authors))}</p>')
    parts.append(f'<p class="triptych-date">{escape(page.date)}</p>')
    if page.edition:
        parts.append(f'<p class="triptych-edition">Edition {escape(page.edition)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _with_package_language(opf: bytes, language: str) -> bytes:
    root = etree.fromstring(opf)
    root.set(XML_LANG, language)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def finish_archive(archive: bytes, language: str, date: dt.datetime) -> bytes:
    """Re-pack what ebooklib wrote: ``xml:lang`` on the package, fixed dates and permissions,
    ``mimetype`` first and stored, so the same sources give the same bytes."""
    stamp = max(date.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(output, "w") as target,
    ):
        names = sorted(source.namelist(), key=lambda name: name != "mimetype")
        for name in names:
            data = source.read(name)
            if name.endswith(".opf"):
                data = _with_package_language(data, language)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    return output.getvalue()


def accessibility_metadata(
    has_images: bool, images_described: bool, title: str
) -> list[tuple[str, str]]:
    """schema.org accessibility metadata, as EPUB Accessibility 1.1 asks for it.

    Text alone suffices, and ``alternativeText`` is claimed, only when every
    image has a text alternative.
    """
    modes = ["textual", "visual"] if has_images else ["textual"]
    described = has_images and images_described
    features = [
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "displayTransformability",
    ]
    if described:
        features.append("alternativeText")
    summary = (
        f"{title} is a reflowable EPUB with a navigable table of contents, headings in "
        "document order, a linked glossary"
        + (", and a text alternative for every image" if described else "")
        + ". It contains no flashing content, motion simulation or sound."
    )
    return [
        *(("schema:accessMode", mode) for mode in modes),
        (
            "schema:accessModeSufficient",
            "textual" if described or not has_images else "textual,visual",
        ),
        *(("schema:accessibilityFeature", feature) for feature in features),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", summary),
    ]
