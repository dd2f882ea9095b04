"""Configuration of the publication "Bound by Arms"."""

project = "Bound by Arms"
author = "The Triptych Analysis Desk"
copyright = "2026, The Triptych Analysis Desk"  # noqa: A001
language = "en"
release = "1.0"

extensions = ["triptych"]

triptych_subtitle = "How Russia and Belarus are deepening their military alliance"
triptych_authors = ["The Triptych Analysis Desk"]
triptych_date = "24 November 2026"
triptych_slug = "bound-by-arms"

root_doc = "index"
exclude_patterns = ["_build"]
numfig = True
myst_enable_extensions = ["colon_fence", "deflist", "attrs_block", "attrs_inline"]
myst_heading_anchors = 3

# The sources of record, cited in the articles and listed in "Sources".
bibtex_bibfiles = ["sources.bib"]
bibtex_default_style = "plain"

html_theme = "furo"
html_title = "Bound by Arms"
