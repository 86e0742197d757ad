"""A tiny HTTP server on 127.0.0.1 for download tests: Range support, faults on demand."""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["LocalServer", "serve"]


class LocalServer:
    """Serves ``files`` (``{url path: bytes}``) and records every request.

    Attributes
    ----------
    files : dict of str to bytes
    requests : list of dict
        ``{"path", "range", "status", "sent"}`` per request; ``sent`` is the body bytes written for it.
    drop_after : int or None
        Close the connection after this many body bytes, once (then reset to None).
    ignore_range : bool
        Answer Range requests with the whole file (HTTP 200), like a server without Range support.
    """

    def __init__(self, files):
        self.files = dict(files)
        self.requests = []
        self.drop_after = None
        self.ignore_range = False
        self.url = None

    def bytes_sent(self, path):
        return sum(entry["sent"] for entry in self.requests if entry["path"] == path)


def _handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            body = state.files.get(path)
            range_header = self.headers.get("Range")
            entry = {"path": path, "range": range_header, "status": None, "sent": 0}
            state.requests.append(entry)
            if body is None:
                entry["status"] = 404
                self.send_error(404)
                return
            start = 0
            if range_header and not state.ignore_range:
                start = int(range_header.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    entry["status"] = 416
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                entry["status"] = 206
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                entry["status"] = 200
                self.send_response(200)
            payload = body[start:]
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if state.drop_after is not None:
                payload, state.drop_after = payload[: state.drop_after], None
                self.close_connection = True
            # counted before writing: the client may have read every byte, and the test checked, before this
            # handler thread runs its next line (a race that failed under load)
            entry["sent"] = len(payload)
            self.wfile.write(payload)

    return Handler


@contextlib.contextmanager
def serve(files):
    """Run a :class:`LocalServer` on 127.0.0.1 (free port) for the ``with`` block."""
    state = LocalServer(files)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
