project = "Bad Math"
extensions = ["triptych"]
myst_enable_extensions = ["dollarmath", "amsmath"]
