project = "Wide Table"
author = "Ada Writer"
language = "en"
extensions = ["triptych"]
