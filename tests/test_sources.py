"""Fences left open are found as CommonMark reads them, nested fences included."""

from __future__ import annotations

from triptych.safety.sources import unclosed_fence


def test_closed_and_nested_fences() -> None:
    text = "````{figure} a.svg\n```\ninner\n```\n````\n\n:::{note}\nx\n:::\n\n~~~\ncode\n~~~~\n"
    assert unclosed_fence(text) is None


def test_open_fences_are_found_with_their_line() -> None:
    assert unclosed_fence("# T\n\n```python\nx = 1\n") == (3, "```")
    # A shorter fence, or one with an info string, does not close a longer one.
    assert unclosed_fence("````\n```\n```text\n") == (1, "````")
    assert unclosed_fence(":::{note}\ntext\n") == (1, ":::")


def test_a_fence_closed_inside_a_list_item_is_closed() -> None:
    assert unclosed_fence("# T\n\n1. ~~~python\n   x = 1\n   ~~~\n") is None
