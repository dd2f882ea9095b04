project = "Parallel"
author = "Tester"
extensions = ["quire"]
numfig = True
