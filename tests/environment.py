"""Loaded by pytest before Django (see pyproject.toml): the environment the tests run in."""

import os

# As long as the settings ask for with DEBUG off (a short or development key is refused).
os.environ.setdefault("SECRET_KEY", "tests-only-" + "k3y-n0t-f0r-any-server-" * 3)
os.environ.setdefault("HTTPS", "0")
# A developer's .env (written by make run, DEBUG=1) must not change what the tests see.
os.environ["ENV_FILE"] = ""
