# triptych is not listed: `sphinx-build -b pdf` and `-b ebook` find it through its entry points.
project = "Entry point"
extensions = ["myst_parser"]
