project = "No alt"
extensions = ["quire"]
