project = "Math Environments"
author = "Ada Writer"
language = "en"
extensions = ["triptych"]
myst_enable_extensions = ["dollarmath", "amsmath"]
