"""gunicorn settings for `make serve` (and a production server): `gunicorn -c config/gunicorn.py config.wsgi`.

Threaded workers (gthread), so that a long streamed export is never cut off: a sync worker is busy
inside the request and cannot tell the arbiter it is alive, so after `timeout` seconds the arbiter
kills it mid-response (the client gets HTTP 200, part of the file and a broken connection). A gthread
worker's main thread keeps reporting while its threads stream, so `timeout` only catches a worker
process that is truly stuck, never a request that is merely long. Each thread holds one database
connection: workers x threads must stay under PostgreSQL's max_connections (less what else uses it).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# Liveness of a worker process, not a limit on a request's length (see above).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# On restart, give exports in flight this long to finish before they are cut.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "120"))
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
