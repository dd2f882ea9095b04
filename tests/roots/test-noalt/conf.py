project = "No alt"
extensions = ["triptych"]
