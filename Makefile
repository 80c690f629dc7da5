# Claimtrail: `make run` to try it, `make test` to test it, `make serve` for a production-like server.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV_ENV := DEBUG=1 HTTPS=0

.PHONY: run test serve setup chromium wget libreoffice lint bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# Debian's chromium for the browser tests (Playwright drives it; nothing downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's wget, whose --warc-file output a web-archive test imports.
wget:
	@command -v wget >/dev/null 2>&1 || { \
		echo "Installing Debian's wget for the web-archive tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null; }

# Debian's LibreOffice Calc, headless, for the spreadsheet round-trip tests (they skip without it).
libreoffice:
	@command -v soffice >/dev/null 2>&1 || { \
		echo "Installing Debian's libreoffice-calc-nogui for the spreadsheet tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; }

run: setup
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_demo
	$(DEV_ENV) $(PY) manage.py local_admin
	@echo "Serving on http://127.0.0.1:8000/admin/"
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: setup chromium wget libreoffice
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Production-like: DEBUG off, gunicorn, WhiteNoise. HTTPS=0 because it serves plain HTTP on localhost.
serve: setup
	DEBUG=0 HTTPS=0 SECRET_KEY=$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')} sh -c '\
		$(PY) manage.py collectstatic --noinput -v0 && \
		$(PY) manage.py migrate --noinput && \
		$(PY) manage.py load_demo && \
		$(PY) manage.py local_admin && \
		$(VENV)/bin/gunicorn config.wsgi --bind 127.0.0.1:8000 --workers 2'

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
