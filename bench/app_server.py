"""A `streamlit run app.py` server for the app benchmarks, and the browser they drive it with.

    with app_server() as server:      # headless, on a free localhost port
        server.url, server.pid, server.peak_rss_bytes()

The browser is Debian's Chromium through Playwright, with the flags of tests/e2e/conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from toggle_probes import HEATMAP_TITLE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 120
VIEWPORT = {"width": 1500, "height": 1400}

# The default page's heatmap is drawn and its title names the head set (the SVG picture, or the plotly figure
# once plotly laid it out when the page asks for the interactive chart).
HEATMAP_DRAWN = "() => { " + HEATMAP_TITLE + " return heatmapTitle() !== ''; }"


@dataclass(frozen=True)
class AppServer:
    url: str  # http://127.0.0.1:PORT
    pid: int  # the server's process id
    log: Path  # its stdout and stderr

    def peak_rss_bytes(self) -> int:
        """The server's peak resident memory so far (VmHWM), bytes."""
        return _status_kib(self.pid, "VmHWM") * 1024

    def rss_bytes(self) -> int:
        return _status_kib(self.pid, "VmRSS") * 1024


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def app_server(*app_args: str, env: dict[str, str] | None = None, repo: Path = REPO):
    """Start the app of `repo` (extra `app_args` go after `--`), wait until it answers, stop it (by its pid)
    at the end. Another `repo` (e.g. `git archive` of an older commit) measures that version."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.gettempdir()) / f"whisper-viz-bench-server-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none"]
    if app_args:
        command += ["--", *app_args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=repo, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": str(repo), **(env or {})})
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start on {url}; see {log_path}")
                time.sleep(0.3)
            yield AppServer(url, process.pid, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def launch_chromium(playwright):
    """Debian's headless Chromium (Playwright's sync or async API object)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
