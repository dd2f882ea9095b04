project = "Site Markup"
author = "Tester"
language = "en"
extensions = ["triptych"]
numfig = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
html_theme = "furo"
