project = "Kitchen Sink"
author = "Ada Writer"
language = "en"
extensions = ["triptych"]
triptych_subtitle = "Every construct an article may use"
triptych_date = "1 March 2026"
copyright = "2026, Ada Writer"
numfig = True
math_numfig = True
myst_enable_extensions = [
    "amsmath",
    "attrs_block",
    "attrs_inline",
    "colon_fence",
    "deflist",
    "dollarmath",
    "tasklist",
]
