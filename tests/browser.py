"""A small headless Chromium driver over the Chrome DevTools Protocol (CDP).

No Playwright or Selenium: :class:`Browser` starts Debian's ``chromium`` with a fresh
profile and ``--remote-debugging-port=0``, reads the port Chromium writes to
``DevToolsActivePort`` in that profile, and talks CDP to the page over the ``websockets``
library (a dev dependency). It can navigate, evaluate JavaScript, click like a mouse
and take PNG screenshots. Every wait has a timeout; :meth:`Browser.close` (also on
leaving the ``with`` block) kills the browser's process group.

``WSCONFORM_CHROMIUM`` names another executable; without it ``chromium`` is looked up
on ``PATH``, then ``/usr/bin/chromium``. :func:`find_chromium` raises
:class:`ChromiumNotFound` when there is none.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, cast

from websockets.sync.client import ClientConnection, connect

from tests.timing import unit

__all__ = ["Browser", "BrowserError", "ChromiumNotFound", "find_chromium"]

#: Flags for a quiet, offline, headless Chromium that runs as root in a container.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)


class BrowserError(RuntimeError):
    """Chromium did not start, a CDP call failed or a wait timed out."""


class ChromiumNotFound(BrowserError):
    """No Chromium executable on this machine."""


def find_chromium() -> str:
    """The Chromium executable: ``$WSCONFORM_CHROMIUM``, ``chromium`` on PATH, or raise."""
    override = os.environ.get("WSCONFORM_CHROMIUM")
    if override:
        found = shutil.which(override)
        if found is None:
            raise ChromiumNotFound(f"WSCONFORM_CHROMIUM={override!r} is not an executable")
        return found
    for name in ("chromium", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found is not None:
            return found
    raise ChromiumNotFound(
        "Chromium is not installed: the HTML report's browser test needs Debian's "
        "`chromium` package (apt-get install chromium; .ci/run installs it)"
    )


def _get_json(url: str, timeout: float) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    with opener.open(url, timeout=timeout) as response:
        return json.load(response)


class Browser:
    """One headless Chromium with one page, driven over CDP.

    Use as a context manager, or call :meth:`close` in a ``finally`` block.
    """

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 900,
        timeout: float | None = None,
        executable: str | None = None,
    ) -> None:
        self.timeout = unit(15) if timeout is None else timeout
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        self._ws: ClientConnection | None = None
        self._stack = contextlib.ExitStack()  # the CDP connection
        self._tmp = tempfile.TemporaryDirectory(prefix="wsconform-chromium-")
        profile = pathlib.Path(self._tmp.name) / "profile"  # fresh and empty
        self._log_path = pathlib.Path(self._tmp.name) / "chromium.log"
        self._log = self._log_path.open("wb")
        self._process: subprocess.Popen[bytes] | None = None
        try:
            args = [
                executable or find_chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ]
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: close() kills the lot
            )
            port = self._wait_port(profile / "DevToolsActivePort")
            self._ws = self._stack.enter_context(
                connect(
                    self._page_url(port),
                    proxy=None,
                    max_size=None,
                    compression=None,
                    ping_interval=None,
                    close_timeout=unit(2),
                )
            )
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self.close()
            raise

    # --- start and stop ------------------------------------------------------------------

    def _log_tail(self) -> str:
        self._log.flush()
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-15:])

    def _wait(self, what: str, ready: Callable[[], bool], timeout: float | None = None) -> None:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not ready():
            if self._process is not None and self._process.poll() is not None:
                raise BrowserError(
                    f"chromium exited ({self._process.returncode}) while waiting for "
                    f"{what}:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {what}:\n{self._log_tail()}")
            time.sleep(0.05)

    def _wait_port(self, path: pathlib.Path) -> int:
        def written() -> bool:
            try:
                return path.read_text().splitlines()[0].isdigit()
            except (OSError, IndexError):
                return False

        self._wait("chromium's DevTools port", written)
        return int(path.read_text().splitlines()[0])

    def _page_url(self, port: int) -> str:
        urls: list[str] = []

        def found() -> bool:
            try:
                targets = _get_json(f"http://127.0.0.1:{port}/json/list", unit(2))
            except OSError:
                return False
            urls.extend(
                str(t["webSocketDebuggerUrl"])
                for t in targets
                if t.get("type") == "page" and "webSocketDebuggerUrl" in t
            )
            return bool(urls)

        self._wait("a page target", found)
        return urls[0]

    def close(self) -> None:
        """Close the CDP connection, kill Chromium's process group, remove the profile."""
        self._ws = None
        with contextlib.suppress(Exception):
            self._stack.close()
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=unit(5))
        self._log.close()
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- CDP -----------------------------------------------------------------------------

    def _recv(self, deadline: float, what: str) -> dict[str, Any]:
        assert self._ws is not None, "the browser is closed"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError(f"timed out waiting for {what}")
        try:
            raw = self._ws.recv(timeout=remaining)
        except TimeoutError:
            raise BrowserError(f"timed out waiting for {what}") from None
        return cast(dict[str, Any], json.loads(raw))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one CDP command and return its result; events that arrive meanwhile are kept."""
        assert self._ws is not None, "the browser is closed"
        number = next(self._ids)
        self._ws.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._recv(deadline, f"the reply to {method}")
            if message.get("id") == number:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error']}")
                return cast(dict[str, Any], message.get("result", {}))
            if "method" in message:
                self._events.append(message)

    def wait_event(self, method: str) -> dict[str, Any]:
        """The parameters of the next CDP event ``method`` (kept or still to come)."""
        for i, event in enumerate(self._events):
            if event["method"] == method:
                del self._events[: i + 1]
                return cast(dict[str, Any], event.get("params", {}))
        self._events.clear()
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._recv(deadline, f"the event {method}")
            if message.get("method") == method:
                return cast(dict[str, Any], message.get("params", {}))

    # --- what a test uses ----------------------------------------------------------------

    def navigate(self, url: str) -> None:
        """Load ``url`` and wait for its ``load`` event."""
        self._events.clear()
        result = self.call("Page.navigate", url=url)
        if "errorText" in result:
            raise BrowserError(f"cannot load {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its value (JSON-serialisable)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error in {expression!r}: {text}")
        return result["result"].get("value")

    @property
    def url(self) -> str:
        """The page's current address."""
        return str(self.evaluate("location.href"))

    def click(self, selector: str, *, wait_for_load: bool = False) -> None:
        """Click the middle of the first element matching ``selector`` with the mouse.

        The element is scrolled into view first; the click is a real mouse press and
        release, so it only works on what a person could click. With ``wait_for_load``
        waits for the page the click opens.
        """
        box = self.evaluate(
            f"""(() => {{
              const el = document.querySelector({json.dumps(selector)});
              if (!el) {{ return null; }}
              el.scrollIntoView({{block: "center", inline: "center"}});
              const r = el.getBoundingClientRect();
              return {{x: r.left + r.width / 2, y: r.top + r.height / 2,
                       w: r.width, h: r.height}};
            }})()"""
        )
        if box is None:
            raise BrowserError(f"nothing matches {selector!r}")
        if box["w"] <= 0 or box["h"] <= 0:
            raise BrowserError(f"{selector!r} is not visible: {box}")
        self._events.clear()
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="none" if kind == "mouseMoved" else "left",
                clickCount=0 if kind == "mouseMoved" else 1,
            )
        if wait_for_load:
            self.wait_event("Page.loadEventFired")

    def screenshot(self, path: pathlib.Path, *, full_page: bool = True) -> bytes:
        """Save a PNG of the page (whole page by default) to ``path``; return its bytes."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
        data = base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data
