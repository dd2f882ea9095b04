project = "Citations Without a Bibliography"
extensions = ["triptych"]
