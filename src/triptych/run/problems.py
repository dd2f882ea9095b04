"""The count of the warnings and errors one edition's build showed.

``triptych build`` fails on errors even without ``-W`` (Sphinx fails only on
warnings turned into errors), and publishes nothing then.
"""

from __future__ import annotations

import logging as stdlib_logging
from typing import TYPE_CHECKING

from triptych.problems import ShownProblems

if TYPE_CHECKING:
    from sphinx.application import Sphinx


class ProblemCount(ShownProblems):
    """Counts the warnings and errors shown while it is attached."""

    def __init__(self, app: Sphinx) -> None:
        super().__init__(app)
        self.errors = 0
        self.warnings = 0

    def shown(self, record: stdlib_logging.LogRecord) -> None:
        if record.levelno >= stdlib_logging.ERROR:
            self.errors += 1
        else:
            self.warnings += 1
