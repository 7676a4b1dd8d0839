"""A figure as a browser gets it (JSON), as a standalone page (HTML) and as a picture (PNG, drawn by kaleido)."""

from __future__ import annotations

import os

import plotly.graph_objects as go
import plotly.io as pio

from ..errors import FigureExportError

PNG_SCALE = 2  # device pixels per CSS pixel in PNG exports
CHROME_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
BROWSER_PATH_ENV = "BROWSER_PATH"  # where kaleido looks for Chrome when no path is given


def figure_json(fig: go.Figure) -> str:
    """The JSON a browser receives for `fig` (what `st.plotly_chart` sends)."""
    return pio.to_json(fig, validate=False)


def figure_html(fig: go.Figure) -> str:
    """A standalone interactive HTML page with plotly.js inlined (works offline)."""
    return pio.to_html(fig, include_plotlyjs=True, full_html=True)


def chrome_path() -> str | None:
    """The Chrome/Chromium kaleido should start: $BROWSER_PATH, else the first system one found."""
    return os.environ.get(BROWSER_PATH_ENV) or next((p for p in CHROME_CANDIDATES if os.path.exists(p)), None)


def figure_png(fig: go.Figure, width: int = 1000) -> bytes:
    """PNG of `fig` rendered by kaleido in a headless Chrome/Chromium; FigureExportError when unavailable."""
    try:
        import kaleido  # noqa: PLC0415 - only PNG exports need it

        path = chrome_path()
        return kaleido.calc_fig_sync(
            fig.to_plotly_json(), opts=dict(format="png", width=width, height=fig.layout.height or 500, scale=PNG_SCALE),
            kopts={"path": path} if path else None)
    except Exception as error:  # kaleido raises many kinds (missing package, no browser, timeouts)
        raise FigureExportError(
            "PNG export needs the kaleido package and Chrome or Chromium (apt-get install chromium); "
            f"download the interactive HTML instead ({type(error).__name__}: {error})") from None
