project = "Glossary Test"
author = "Tester"
language = "en"
extensions = ["quire"]
numfig = True
