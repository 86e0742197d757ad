"""A headless Chromium driven over the DevTools protocol on a pipe (no websocket library, no server).

Chromium's ``--remote-debugging-pipe`` reads JSON commands from file
descriptor 3 and writes replies and events to descriptor 4, each message
ending with a NUL byte. This is the smallest client the site's browser tests
need: open a page, evaluate JavaScript, wait for a navigation, and collect
console errors and uncaught exceptions.
"""

import json
import os
import shutil
import subprocess
import time

__all__ = ["CHROMIUM", "Browser"]

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)


class Browser:
    """One headless Chromium with one page; use as a context manager.

    Attributes
    ----------
    errors : list of str
        Console errors, failed loads and uncaught exceptions seen so far.
    """

    def __init__(self, profile, *, timeout=30.0):
        self.timeout = timeout
        self.errors = []
        self._events = []
        self._buffer = b""
        self._next_id = 0
        to_chrome_read, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_write = os.pipe()

        def connect_pipes():  # runs in the child: the protocol's fixed descriptors 3 and 4
            read_end, write_end = os.dup(to_chrome_read), os.dup(from_chrome_write)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=connect_pipes, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_read)
        os.close(from_chrome_write)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Page", "Log"):
            self._call(f"{domain}.enable", session=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close the browser (killed if it does not exit within 10 s)."""
        try:
            self._send("Browser.close")
            self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        finally:
            for fd in (self._to_chrome, self._from_chrome):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _send(self, method, params=None, *, session=False):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        message = json.loads(message)
        if "method" in message:
            self._events.append(message["method"])
        self._note(message)
        return message

    def _note(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(arg.get("value")) for arg in params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")

    def _call(self, method, params=None, *, session=False):
        number = self._send(method, params, session=session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _wait_for(self, method, since):
        """Wait until event ``method`` has arrived after the first ``since`` events (it may have already)."""
        deadline = time.monotonic() + self.timeout
        while method not in self._events[since:]:
            self._read(deadline)

    def open(self, url):
        """Navigate to ``url`` and wait for its load event."""
        since = len(self._events)
        self._call("Page.navigate", {"url": url}, session=True)
        self._wait_for("Page.loadEventFired", since)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (JSON-serialisable values)."""
        result = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def evaluate_and_wait_for_load(self, expression):
        """Run ``expression`` (e.g. a click on a link) and wait for the page it opens to load."""
        since = len(self._events)
        # run after this call has returned: a navigation during the call ends it with "target navigated"
        self._call("Runtime.evaluate", {"expression": f"setTimeout(function () {{ {expression}; }}, 0)"},
                   session=True)
        self._wait_for("Page.loadEventFired", since)
