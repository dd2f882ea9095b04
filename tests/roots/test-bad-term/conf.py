project = "Bad input"
extensions = ["triptych"]
