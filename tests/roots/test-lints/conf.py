project = "Lints"
extensions = ["quire"]
