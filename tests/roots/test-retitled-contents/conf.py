project = "Testing Handbook"
author = "Ines Marlow"
copyright = "2026, Ines Marlow"
language = "en"
extensions = ["triptych"]
triptych_date = "1 April 2026"
