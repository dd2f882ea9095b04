"""What content may reach, and the checks that hold it to that before anything is read.

``paths`` holds the pure decisions (is this file inside the project, is this
host allowed); ``directives``, ``markdown``, ``sanitise`` and ``sources``
apply them while Sphinx reads; ``fetcher`` applies them to what WeasyPrint
asks for while it lays out the PDF; ``network`` refuses the connections an
extension would make to hosts the configuration does not allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    from triptych.safety import directives, inventories, markdown, network, sanitise, sources

    network.setup(app)
    markdown.setup(app)
    sources.setup(app)
    directives.setup(app)
    sanitise.setup(app)
    inventories.setup(app)
