"""Where an article PDF's links into the rest of the book go: to the site, when it has an address.

An article PDF holds the book's pages of one article (:mod:`.offprints`), so a
link to another article's page has nothing to land on. With ``html_baseurl``
set it goes to that place on the site; without, the link is taken away and
its text stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from triptych.builders.pdf.ids import chapter_anchor, qualified_id

if TYPE_CHECKING:
    from collections.abc import Mapping


def site_address(base: str, owners: Mapping[str, str], anchor: str) -> str | None:
    """The site's address of the book's *anchor*, or None without a *base* or an owner.

    *owners* gives the document each id of the book belongs to; ids are
    qualified with their document's name in the book, and plain on its page.
    """
    owner = owners.get(anchor)
    if not base or owner is None:
        return None
    page = f"{base}/{owner}.html"
    if anchor == chapter_anchor(owner):
        return page
    return f"{page}#{anchor.removeprefix(qualified_id(owner, ''))}"
