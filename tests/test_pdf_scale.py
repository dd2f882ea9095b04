"""The PDF of a long book: costs that must not grow faster than its pages."""

from __future__ import annotations

import pydyf
import pytest

from triptych.builders.pdf import pydyf_pages


class CountingArray(pydyf.Array):
    """A page tree's ``Kids`` that counts how often it is read whole."""

    def __init__(self) -> None:
        super().__init__()
        self.slices = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            self.slices += 1
        return super().__getitem__(index)


def pdf_of(pages: int) -> tuple[pydyf.PDF, CountingArray]:
    pdf = pydyf.PDF()
    kids = CountingArray()
    pdf.pages["Kids"] = kids
    for _ in range(pages):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    return pdf, kids


def test_page_references_are_not_rebuilt_on_every_read() -> None:
    # WeasyPrint reads them once per structure element when it tags a PDF: on a long book,
    # rebuilding them each time made tagging grow with the square of the pages.
    assert pydyf_pages.keep_page_references()
    pdf, kids = pdf_of(200)
    references = [pdf.page_references[number] for number in range(200) for _ in range(5)]
    assert kids.slices == 1
    assert references[::5] == [f"{page.number} 0 R".encode() for page in pdf.objects[3:]]


def test_page_references_follow_pages_added_after_a_read() -> None:
    assert pydyf_pages.keep_page_references()
    pdf, _kids = pdf_of(3)
    assert len(pdf.page_references) == 3
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(pdf.page_references) == 4
    assert pdf.page_references[3] == f"{pdf.objects[-1].number} 0 R".encode()
    # A page tree replaced whole is read anew.
    pdf.pages["Kids"] = pydyf.Array([7, 0, "R"])
    assert pdf.page_references == (b"7 0 R",)


@pytest.mark.parametrize("version", ["0.10.0", "0.14.0", "1.0.0"])
def test_unchecked_pydyf_versions_are_left_alone(
    monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    original = property(lambda pdf: ())
    monkeypatch.setattr(pydyf.PDF, "page_references", original)
    assert not pydyf_pages.keep_page_references(version)
    assert pydyf.PDF.page_references is original
