# Claimtrail: `make run` to try it, `make test` to test it, `make serve` for a production-like server.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Where `make backup` writes and `make restore` reads (BACKUP=path to choose the file).
BACKUP ?= backups/claimtrail-latest.backup

.PHONY: run test serve setup chromium wget libreoffice lint bench clean backup restore port-free

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

# Debian's LibreOffice Calc and Writer, headless: Calc for the spreadsheet round-trip tests, Writer to make the
# PDFs of the PDF-source tests (each skips without its part).
libreoffice:
	@{ command -v soffice >/dev/null 2>&1 && [ -e /usr/lib/libreoffice/program/libswlo.so ]; } || { \
		echo "Installing Debian's libreoffice-calc-nogui and libreoffice-writer-nogui for the spreadsheet and PDF tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libreoffice-calc-nogui libreoffice-writer-nogui >/dev/null; }

# Local development settings, read by config/settings.py, so that every `manage.py` command works as
# written; its key is a development key that the settings never use with DEBUG off.
.env:
	@$(PYTHON) -c "import secrets; print('# Written by make run for local development; DEBUG off never reads SECRET_KEY from here.'); print('DEBUG=1'); print('HTTPS=0'); print('SECRET_KEY=django-insecure-' + secrets.token_urlsafe(50))" > $@
	@echo "Wrote .env (DEBUG=1 and a development key) for manage.py commands"

port-free:
	@$(PYTHON) -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', $(PORT)))" 2>/dev/null || \
		{ echo "Port $(PORT) is in use: choose another, e.g. make $(firstword $(MAKECMDGOALS)) PORT=8001"; exit 1; }

run: port-free setup .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py local_admin
	@echo "Serving on http://127.0.0.1:$(PORT)/admin/"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: setup chromium wget libreoffice
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Production-like: DEBUG off, gunicorn, WhiteNoise. HTTPS=0 because it serves plain HTTP on localhost.
# Threaded gunicorn workers (config/gunicorn.py say why): a long export streams to its end.
serve: port-free setup
	DEBUG=0 HTTPS=0 PORT=$(PORT) SECRET_KEY=$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')} sh -c '\
		$(PY) manage.py collectstatic --noinput -v0 && \
		$(PY) manage.py migrate --noinput && \
		$(PY) manage.py load_demo && \
		$(PY) manage.py local_admin && \
		echo "Serving on http://127.0.0.1:$(PORT)/admin/" && \
		exec $(VENV)/bin/gunicorn -c config/gunicorn.py config.wsgi'

# The database (DATABASE_URL, else db.sqlite3) to one file and back: pg_dump/pg_restore, or SQLite's online backup.
backup: setup
	$(PY) -m config.backup backup $(BACKUP)

restore: setup
	$(PY) -m config.backup restore $(BACKUP)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
