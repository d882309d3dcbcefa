"""A WSGI app served for real on a free port of 127.0.0.1, in a thread (the HTTP boundary of tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from werkzeug.serving import make_server


def serve(app: Callable) -> Iterator[str]:
    """Serve ``app`` until the generator is closed; yield its origin (``yield from serve(app)``)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
