"""Parts of the EPUB that are not chapters: covers, title page, accessibility metadata, archive.

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


SVG_NS = "http://www.w3.org/2000/svg"
#: SVG's attributes whose names have capitals (HTML's table of them, the common ones), which
#: ebooklib's HTML parser lowercases: an XHTML reader takes ``viewbox`` for no attribute.
SVG_ATTRIBUTE_CASE = {
    name.lower(): name
    for name in (
        "attributeName", "attributeType", "baseFrequency", "calcMode", "clipPathUnits",
        "diffuseConstant", "edgeMode", "filterUnits", "gradientTransform", "gradientUnits",
        "kernelMatrix", "kernelUnitLength", "keyPoints", "keySplines", "keyTimes",
        "lengthAdjust", "markerHeight", "markerUnits", "markerWidth", "maskContentUnits",
        "maskUnits", "numOctaves", "pathLength", "patternContentUnits", "patternTransform",
        "patternUnits", "pointsAtX", "pointsAtY", "pointsAtZ", "preserveAlpha",
        "preserveAspectRatio", "primitiveUnits", "refX", "refY", "repeatCount", "repeatDur",
        "requiredExtensions", "requiredFeatures", "specularConstant", "specularExponent",
        "spreadMethod", "startOffset", "stdDeviation", "stitchTiles", "surfaceScale",
        "systemLanguage", "tableValues", "targetX", "targetY", "textLength", "viewBox",
        "xChannelSelector", "yChannelSelector", "zoomAndPan",
    )
}  # fmt: skip


def with_svg_attribute_case(document: bytes) -> bytes:
    """A content document with its inline SVG's attribute names as SVG spells them."""
    root = etree.fromstring(document)
    changed = False
    for element in root.iter(f"{{{SVG_NS}}}*"):
        for name in [name for name in element.attrib if name in SVG_ATTRIBUTE_CASE]:
            element.set(SVG_ATTRIBUTE_CASE[name], element.attrib.pop(name))
            changed = True
    if not changed:
        return document
    return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8"))


def finish_archive(
    archive: bytes,
    language: str,
    date: dt.datetime,
    nav_name: str = "EPUB/nav.xhtml",
) -> bytes:
    """Re-pack what ebooklib wrote: ``xml:lang`` on the package, landmarks hidden, fixed dates
    and permissions, ``mimetype`` first and stored, so the same sources give the same bytes."""
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
            elif name == nav_name:
                data = _with_hidden_landmarks(data)
            elif name.endswith(".xhtml") and b"<svg" in data:
                data = with_svg_attribute_case(data)
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


# --- Raster cover: many reading systems show no thumbnail for an SVG cover ---------------

COVER_SIZE = (1600, 2400)
COVER_FIELD = "#1a3d6d"
COVER_RULE = "#d8a03a"
COVER_SUBTITLE = "#d8e2f0"


def cover_png(title: str, subtitle: str, authors: list[str]) -> bytes:
    """The generated cover drawn as a PNG, with the bundled fonts; the same bytes every time."""
    from PIL import Image, ImageDraw, ImageFont

    from triptych.builders import asset_path

    def font(name: str, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(asset_path(f"fonts/{name}")), size)

    _width, height = COVER_SIZE
    image = Image.new("RGB", COVER_SIZE, COVER_FIELD)
    draw = ImageDraw.Draw(image)
    draw.rectangle((140, 420, 380, 436), fill=COVER_RULE)
    y = 620
    title_font = font("NotoSerif-Bold.ttf", 150)
    for line in textwrap.wrap(title, 16) or [""]:
        draw.text((140, y), line, font=title_font, fill="#ffffff", anchor="ls")
        y += 170
    y += 60
    subtitle_font = font("NotoSerif-Regular.ttf", 70)
    for line in textwrap.wrap(subtitle, 30):
        draw.text((140, y), line, font=subtitle_font, fill=COVER_SUBTITLE, anchor="ls")
        y += 90
    byline_font = font("NotoSans-Regular.ttf", 60)
    draw.text(
        (140, height - 220), ", ".join(authors), font=byline_font, fill="#ffffff", anchor="ls"
    )
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


# --- Navigation document: landmarks are for reading systems, not for the reader ----------

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _with_hidden_landmarks(nav: bytes) -> bytes:
    root = etree.fromstring(nav)
    for element in root.iter(f"{{{XHTML_NS}}}nav"):
        if "landmarks" in (element.get(EPUB_TYPE) or "").split():
            element.set("hidden", "")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
