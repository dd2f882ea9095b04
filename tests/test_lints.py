"""Glossary lints: typed warnings with file and line, that fail -W and can be silenced by kind."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import BuildRoot


@pytest.fixture(scope="module")
def warnings(build_root: BuildRoot) -> str:
    app = build_root("html", "test-lints")
    return app.warning.getvalue()


def test_undefined_term_suggests_the_closest(warnings: str) -> None:
    assert re.search(
        r"article\.md:5: WARNING: term not in glossary: 'Interoperabilty' "
        r"\(did you mean 'Interoperability'\?\) \[triptych\.term_undefined\]",
        warnings,
    ), warnings
    # triptych's warning replaces Sphinx's own for the same reference.
    assert "[ref.term]" not in warnings


def test_term_defined_twice(warnings: str) -> None:
    assert re.search(
        r"more-terms\.md:4: WARNING: glossary term 'Widget' is defined twice "
        r"\(also at .*glossary\.md:7\) \[triptych\.term_duplicate\]",
        warnings,
    ), warnings


def test_unused_term(warnings: str) -> None:
    assert re.search(
        r"glossary\.md:10: WARNING: glossary term 'Gadget' is never used \[triptych\.term_unused\]",
        warnings,
    ), warnings
    assert "'Interoperability' is never used" not in warnings


def test_unused_terms_can_be_silenced(build_root: BuildRoot) -> None:
    app = build_root(
        "html", "test-lints", confoverrides={"suppress_warnings": ["triptych.term_unused"]}
    )
    warnings = app.warning.getvalue()
    assert "never used" not in warnings
    assert "triptych.term_undefined" in warnings
