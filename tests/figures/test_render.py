"""Figure renderings (render.py): the JSON a browser gets, standalone HTML, and PNG through kaleido."""

import numpy as np
import pytest

from whisper_viz.errors import FigureExportError
from whisper_viz.figures import attention as figures
from whisper_viz.figures.render import chrome_path, figure_html, figure_json, figure_png
from whisper_viz.results import Token


def _heatmap():
    tokens = tuple(Token(i, f" t{i}", f" t{i}".encode(), 1.0) for i in range(3))
    return figures.attention_heatmap(np.eye(3, 10, dtype=np.float32), tokens)


def test_figure_html_is_standalone():
    html = figure_html(_heatmap())
    assert "<html>" in html.lower() and "plotly" in html.lower()


def test_figure_json_is_what_plotly_sends():
    assert '"type":"image"' in figure_json(_heatmap()).replace(" ", "")


def test_png_needs_a_browser_and_says_so(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chrome")
    assert chrome_path() == "/nonexistent/chrome"
    with pytest.raises(FigureExportError, match="Chromium"):
        figure_png(_heatmap())


@pytest.mark.skipif(chrome_path() is None, reason="needs Chrome or Chromium")
def test_png_is_drawn_without_touching_the_environment(monkeypatch):
    import os

    before = dict(os.environ)
    png = figure_png(_heatmap(), width=400)
    assert png.startswith(b"\x89PNG") and dict(os.environ) == before
