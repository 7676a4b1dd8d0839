"""Load benchmark: N real browser sessions open the app's default page at once.

    python bench/bench_load.py --sessions 8 --rounds 3          # also: --sessions 30 --rounds 1
    python bench/bench_load.py --client protocol --sessions 8 30 # the server alone, without browsers
    python bench/bench_load.py --client mixed --sessions 8 30     # one browser among N-1 protocol sessions

Starts `streamlit run app.py`, warms it with another example (model loaded, kernels compiled, nothing of
the default page cached), then:
  first   one session opens the default page (its analysis is not cached yet)
  alone   one session at a time opens it again (median of --alone runs): "one session's" time
  N at once, --rounds times: N browser contexts (each its own Streamlit session) open it together.
Time to heatmap = from the start of the navigation to the focused heatmap drawn with its title (the SVG picture
the page shows first; the plotly figure with `--query interactive=1`).
A session fails when its heatmap is not drawn within --timeout seconds or its page shows an error or
exception. Reports p50/p95 per round, the ratio p95 / alone, and the server's peak RSS (VmHWM). Writes the
figures as JSON to --json. Headless Debian Chromium, one browser process for all sessions, sharing the
machine's cores with the server.

With --client protocol, each session is a websocket client speaking Streamlit's protocol
(streamlit_client.py): the server runs the page exactly as for a browser, and time to heatmap is when
the heatmap element arrives. On a 2-core machine a Chromium page costs ~7-8 CPU-seconds to load, so the
browser figures measure the browsers as much as the server; the protocol figures measure the server.
With --client mixed, each round opens one browser page and N-1 protocol sessions at once: the browser's
time against its time alone is what one student sees while the class (each on a machine of their own)
opens the page together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import HEATMAP_DRAWN, REPO, VIEWPORT, app_server, launch_chromium  # noqa: E402
from streamlit_client import open_session  # noqa: E402

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
WARM_QUERY = "example=hello.flac"


async def _open(browser, url: str, timeout_s: float) -> dict:
    """Open `url` in a fresh context; {"seconds": time to heatmap or None, "errors": [texts]}."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    started = time.perf_counter()
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await page.wait_for_function(HEATMAP_DRAWN, timeout=timeout_s * 1000, polling=50)
        seconds = time.perf_counter() - started
        errors = [await e.inner_text() for e in await page.query_selector_all(ERRORS)]
    except Exception as error:  # noqa: BLE001 - a timeout or crash is a failed session, reported
        seconds, errors = None, [f"{type(error).__name__}: {str(error)[:200]}"]
    finally:
        await context.close()
    return {"seconds": seconds, "errors": errors}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _summary(label: str, results: list[dict], alone: float | None) -> dict:
    times = [r["seconds"] for r in results if r["seconds"] is not None]
    failed = [r for r in results if r["seconds"] is None or r["errors"]]
    row = {"label": label, "sessions": len(results), "failed": len(failed),
           "p50_s": statistics.median(times) if times else None,
           "p95_s": _percentile(times, 0.95) if times else None, "max_s": max(times) if times else None,
           "errors": [e for r in failed for e in r["errors"]][:5]}
    if alone and times:
        row["p95_over_alone"] = row["p95_s"] / alone
    ratio = f" p95/alone {row['p95_over_alone']:.2f}" if "p95_over_alone" in row else ""
    print(f"{label:>14}: {len(results)} sessions, {len(failed)} failed, p50 {row['p50_s']:.2f} s, "
          f"p95 {row['p95_s']:.2f} s{ratio}" if times else f"{label}: every session failed {row['errors']}",
          flush=True)
    return row


class _Browser:
    """Opens sessions as browser contexts of one headless Chromium."""

    def __init__(self, browser, url: str, timeout_s: float):
        self.browser, self.url, self.timeout_s = browser, url, timeout_s

    async def open(self, query: str = "") -> dict:
        return await _open(self.browser, self.url + ("/?" + query if query else "/"), self.timeout_s)


class _Protocol:
    """Opens sessions as websocket clients (no browser)."""

    def __init__(self, url: str, timeout_s: float):
        self.url, self.timeout_s = url, timeout_s

    async def open(self, query: str = "") -> dict:
        return await open_session(self.url, query, self.timeout_s)


class _Mixed:
    """One browser session among N-1 protocol sessions."""

    def __init__(self, browser: _Browser, protocol: _Protocol):
        self.browser, self.protocol = browser, protocol

    async def open(self, query: str = "") -> dict:
        return await self.browser.open(query)

    async def open_many(self, n: int, query: str = "") -> list[dict]:
        """The browser's result first, then the protocol sessions'."""
        return await asyncio.gather(self.browser.open(query), *(self.protocol.open(query) for _ in range(n - 1)))


async def _measure(client, args) -> dict:
    warm = await client.open(WARM_QUERY)
    print(f"warm-up ({WARM_QUERY}): {warm['seconds']} s {warm['errors']}", flush=True)
    report = {"client": args.client, "warm_up_s": warm["seconds"], "rounds": []}
    first = await client.open(args.query)
    report["first_s"] = first["seconds"]
    print(f"first session on the default page: {first['seconds']} s {first['errors']}", flush=True)
    alone_runs = [(await client.open(args.query))["seconds"] for _ in range(args.alone)]
    alone = statistics.median([s for s in alone_runs if s is not None])
    report["alone_s"], report["alone_runs_s"] = alone, alone_runs
    print(f"one session alone: median {alone:.2f} s of {[round(s or -1, 2) for s in alone_runs]}", flush=True)
    for n in args.sessions:
        for round_index in range(args.rounds):
            if isinstance(client, _Mixed):
                results = await client.open_many(n, args.query)
                browser = results[0]["seconds"]
                print(f"{n} at once #{round_index + 1}: the browser {browser:.2f} s (alone {alone:.2f} s, "
                      f"x{browser / alone:.2f})" if browser else f"the browser failed {results[0]['errors']}")
                row = {**_summary(f"{n} at once #{round_index + 1}", results, alone), "browser_s": browser}
            else:
                results = await asyncio.gather(*(client.open(args.query) for _ in range(n)))
                row = _summary(f"{n} at once #{round_index + 1}", results, alone)
            report["rounds"].append({**row, "times_s": [r["seconds"] for r in results]})
    return report


async def _bench(args) -> dict:
    from playwright.async_api import async_playwright

    app_args = ("--allow-models", args.allow_models) if args.allow_models else ()
    with app_server(*app_args, repo=args.repo) as server:
        if args.client == "protocol":
            report = await _measure(_Protocol(server.url, args.timeout), args)
        else:
            async with async_playwright() as playwright:
                browser = _Browser(await launch_chromium(playwright), server.url, args.timeout)
                client = _Mixed(browser, _Protocol(server.url, args.timeout)) if args.client == "mixed" else browser
                report = await _measure(client, args)
                await browser.browser.close()
        report["peak_rss_mib"] = server.peak_rss_bytes() / 2**20
        print(f"server peak RSS: {report['peak_rss_mib']:.0f} MiB", flush=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", choices=("browser", "protocol", "mixed"), default="browser",
                        help="real Chromium pages, websocket clients of the Streamlit protocol, or one page among "
                             "protocol clients")
    parser.add_argument("--sessions", type=int, nargs="+", default=[8], help="sessions opened at once, per size")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size")
    parser.add_argument("--alone", type=int, default=5, help="single-session runs")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a session may take")
    parser.add_argument("--allow-models", default=None, help="passed to the app (local model folders)")
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="the app to serve, e.g. `git archive cc00651 | tar -x -C /tmp/old` for a before/after")
    parser.add_argument("--query", default="", help="query of the measured page, e.g. interactive=1 (default: none)")
    parser.add_argument("--json", type=Path, default=Path("/tmp/whisper-viz-bench-load.json"))
    args = parser.parse_args()
    report = asyncio.run(_bench(args))
    args.json.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
