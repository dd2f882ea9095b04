project = "Lists"
author = "Ada Writer"
language = "en"
extensions = ["triptych"]
