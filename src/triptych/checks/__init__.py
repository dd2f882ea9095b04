"""The audit of built editions behind ``triptych check``, the standards' validators, and lints."""
