"""Configuration of the publication "Bound by Arms"."""

project = "Bound by Arms"
author = "The Quire Analysis Desk"
copyright = "2026, The Quire Analysis Desk"  # noqa: A001
language = "en"
release = "1.0"

extensions = ["quire"]

quire_subtitle = "How Russia and Belarus are deepening their military alliance"
quire_authors = ["The Quire Analysis Desk"]
quire_date = "24 November 2026"
quire_slug = "bound-by-arms"

root_doc = "index"
exclude_patterns = ["_build"]
numfig = True
myst_enable_extensions = ["colon_fence", "deflist", "attrs_block", "attrs_inline"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "Bound by Arms"
