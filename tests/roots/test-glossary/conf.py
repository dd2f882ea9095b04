project = "Glossary Test"
author = "Tester"
language = "en"
extensions = ["triptych"]
numfig = True
