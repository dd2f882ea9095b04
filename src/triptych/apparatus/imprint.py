"""What a book says about itself besides its title: rights, edition, date, identifier.

The PDF prints it on the page after the title page; the EPUB carries the
date as ``dc:date``. The date is the configured publication date
(``triptych_date``) read as a calendar date, or the build date when none is
set or it cannot be read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from triptych.config import build_date, display_date, publication_identifier

if TYPE_CHECKING:
    from sphinx.config import Config

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?P<month>[A-Za-z]+)\.?"
DATE_FORMS = (
    re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?"),
    re.compile(rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})"),
    re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"),
    re.compile(rf"{_MONTH},?\s+(?P<year>\d{{4}})"),
)


@dataclass(frozen=True)
class CalendarDate:
    """A date to the precision it was given: a year, a month or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        """W3CDTF, as ``dc:date`` takes it: ``2026``, ``2026-11`` or ``2026-11-24``."""
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


def parse_date(text: str) -> CalendarDate | None:
    """*text* ("24 November 2026", "November 24, 2026", "2026-11-24", "2026") as a date."""
    for form in DATE_FORMS:
        match = form.fullmatch(text.strip())
        if match is None:
            continue
        fields = match.groupdict()
        month_text = fields.get("month")
        month = None
        if month_text is not None:
            month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text.lower())
            if month is None:
                return None
        day = int(fields["day"]) if fields.get("day") else None
        try:
            dt.date(int(fields["year"]), month or 1, day or 1)
        except ValueError:
            return None
        return CalendarDate(int(fields["year"]), month, day)
    return None


def publication_date(config: Config) -> CalendarDate | None:
    """The configured date, read; ``None`` when it is set but cannot be read."""
    if not config.triptych_date:
        built = build_date()
        return CalendarDate(built.year, built.month, built.day)
    return parse_date(str(config.triptych_date))


def dc_date(config: Config) -> str:
    """``dc:date``: the publication date, or the build date when it cannot be read."""
    date = publication_date(config)
    return date.iso() if date is not None else build_date().strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Imprint:
    """The page after the title page: the rights, the publisher, the edition and its date."""

    rights: str
    publisher: str
    edition: str
    date: str
    identifier: str

    @classmethod
    def of(cls, config: Config) -> Imprint:
        return cls(
            rights=config.triptych_rights,
            publisher=config.triptych_publisher,
            edition=config.triptych_edition,
            date=display_date(config),
            identifier=publication_identifier(config),
        )
