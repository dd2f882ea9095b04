project = "Lints"
extensions = ["triptych"]
