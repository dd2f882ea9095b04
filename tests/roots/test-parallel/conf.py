project = "Parallel"
author = "Tester"
extensions = ["triptych"]
numfig = True
