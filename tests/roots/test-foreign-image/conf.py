project = "Foreign image"
extensions = ["quire"]
