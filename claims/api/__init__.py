"""The web API for scripts and newsroom tools (Django REST framework): one more path through the same rules.

Claims and links are written through the admin's own form and services (claims/forms.py, claims/services.py),
so a validation failure reads the same as in the admin; roles are claims/rules.py and the model permissions.
"""
