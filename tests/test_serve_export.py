"""A full claims export through `make serve` finishes, however long it takes (issue 14, finding 1).

The export is made to last longer than gunicorn's worker timeout by a client that reads slowly, as
a download over a slow line or of a million claims would. A sync worker is killed by the arbiter
mid-response (the client has HTTP 200 and part of the file); the threaded workers `make serve` runs
(config/gunicorn.py) stream it to the end.
"""

import http.client
import socket
import time
import urllib.parse

import pytest

from claims.exchange.columns import HEADER
from tests.serving import Serve, manage, server_env, throwaway_database

WORKER_TIMEOUT = 2  # seconds; gunicorn's default is 30
READ_BYTES_PER_SECOND = 400_000  # the kernel buffers about 2.5 MB: the server streams for 7 s or more
CLAIMS = 20_000  # about 5.5 MB of CSV: more than the socket buffers hold


def slow_download(port: int, path: str, body: str, cookie: str) -> tuple[int, bytes, float, str]:
    """POST and read the answer slowly through a small receive buffer: status, body, seconds, error."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.sock = socket.socket()
    connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    connection.sock.connect(("127.0.0.1", port))
    connection.request("POST", path, body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    started = time.monotonic()
    response = connection.getresponse()
    received, error = [], ""
    try:
        while chunk := response.read(16384):
            received.append(chunk)
            time.sleep(len(chunk) / READ_BYTES_PER_SECOND)
    except (http.client.HTTPException, OSError) as broken:
        error = repr(broken)
    return response.status, b"".join(received), time.monotonic() - started, error


@pytest.mark.django_db
def test_a_full_export_through_make_serve_outlasts_the_worker_timeout_and_is_whole(tmp_path):
    with throwaway_database(tmp_path, "serve_export") as database_url:
        # The timeout goes in through gunicorn's own variable, so it applies whatever the serve command.
        env = server_env(database_url, GUNICORN_CMD_ARGS=f"--timeout {WORKER_TIMEOUT} --workers 1")
        manage("migrate", "--noinput", "-v0", env=env)
        manage("seed_synthetic", "--sources", "40", "--claims", str(CLAIMS), "--seed", "7", env=env)
        with Serve(env, tmp_path / "serve.log") as server:
            token = "t" * 32
            session = server.log_in(*server.admin_login(), csrf_token=token)
            form = {"format": "0", "resource": "0", "csrfmiddlewaretoken": token}
            form.update({f"claimresource_{name}": "on" for name in HEADER})
            status, body, seconds, error = slow_download(
                server.port,
                "/admin/claims/claim/export/",
                urllib.parse.urlencode(form),
                f"sessionid={session}; csrftoken={token}",
            )
            log = server.output()
        # The admin's superuser exports every project's claims (make serve loads the demo's two projects too).
        manage("export_claims", "--all-projects", "-o", str(tmp_path / "command.csv"), env=env)

    assert status == 200
    assert seconds > 2 * WORKER_TIMEOUT, f"the export took {seconds:.1f} s: not longer than the worker timeout"
    assert "WORKER TIMEOUT" not in log, log[-2000:]
    assert error == "", f"the download broke after {len(body)} bytes: {error}"
    assert body == (tmp_path / "command.csv").read_bytes(), f"{len(body)} bytes received"
