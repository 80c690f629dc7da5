"""Loaded by pytest before Django (see pyproject.toml): the environment the tests run in."""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
os.environ.setdefault("HTTPS", "0")
