project = "Math Rows"
author = "Ada Writer"
language = "en"
extensions = ["triptych"]
myst_enable_extensions = ["dollarmath", "amsmath"]
