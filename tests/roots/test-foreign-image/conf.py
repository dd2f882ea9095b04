project = "Foreign image"
extensions = ["triptych"]
