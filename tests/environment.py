"""Loaded by pytest before Django (see pyproject.toml): the environment the tests run in."""

import os

# As long as the settings ask for with DEBUG off (a short or development key is refused).
# A fixed key, for tests only (the settings refuse a repeated pattern).
os.environ.setdefault("SECRET_KEY", "tests-only-Vq3xN8pL2rT7wK5mZ9cB4hJ6fD1sG0yA-uE_iO3nR8tW2kX7")
os.environ.setdefault("HTTPS", "0")
# A developer's .env (written by make run, DEBUG=1) must not change what the tests see.
os.environ["ENV_FILE"] = ""
