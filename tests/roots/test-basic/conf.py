project = "Basic Test Book"
author = "Ada Writer, Ben Editor"
language = "en"
extensions = ["quire"]
quire_subtitle = "A small publication for quire's tests"
quire_date = "1 March 2026"
numfig = True
