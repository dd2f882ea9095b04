project = "Bad input"
extensions = ["quire"]
