"""The JavaScript that times a head toggle in the page, shared by bench/bench_toggle.py and tests/e2e/test_browser.py.

    before = page.evaluate(SNAPSHOT); page.evaluate(ARM_CLICK_CLOCK); page.click(...)
    page.evaluate(WAIT_FOR_UPDATE, [before, timeout_ms])  # {table, heatmap, canvas}: ms after the click, or null

The word table draws on a canvas (what the user sees) and mirrors its cells in a hidden accessibility table
that is updated later; both are timed, with a checksum of the canvas pixels for the first.
"""

# The focused heatmap's title, whichever way it is drawn: the plotly figure's (once plotly laid it out) or the
# SVG picture's; '' while neither is drawn.
HEATMAP_TITLE = """const heatmapTitle = () => { const g = document.querySelector('.st-key-heatmap_a .js-plotly-plot');
    if (g) return g._fullLayout && g.layout.title && g.layout.title.text ? g.layout.title.text : '';
    const t = document.querySelector('.st-key-heatmap_a svg.wv-picture .wv-title'); return t ? t.textContent : ''; };"""
CANVAS_SUM = """const canvasSum = () => { const c = document.querySelector('.st-key-word_table canvas');
    if (!c || !c.width || !c.height) return '';
    const d = c.getContext('2d').getImageData(0, 0, c.width, Math.min(c.height, 400)).data;
    let s = 0; for (let i = 0; i < d.length; i += 16) s = (s * 31 + d[i]) % 1000000007; return String(s); };"""
# [word table text, heatmap title, canvas checksum] before a toggle
SNAPSHOT = """() => { const t = document.querySelector('.st-key-word_table table');
  """ + HEATMAP_TITLE + CANVAS_SUM + """
  return [t ? t.innerText : '', heatmapTitle(), canvasSum()]; }"""
# Notes when the next click happens (window.__clickAt), before anything of the page handles it.
ARM_CLICK_CLOCK = """() => document.addEventListener('click', () => { window.__clickAt = performance.now(); },
                                            {capture: true, once: true})"""
# Resolves when the word table (canvas and accessibility table) and the heatmap title differ from before.
WAIT_FOR_UPDATE = """async ([before, timeout]) => {
  const table = () => { const t = document.querySelector('.st-key-word_table table'); return t ? t.innerText : ''; };
  """ + HEATMAP_TITLE + CANVAS_SUM + """
  const start = window.__clickAt;
  return await new Promise((resolve) => {
    let tableMs = null, heatmapMs = null, canvasMs = null;
    const poll = () => {
      const now = performance.now();
      if (tableMs === null && table() !== before[0]) tableMs = now - start;
      if (heatmapMs === null && heatmapTitle() !== before[1]) heatmapMs = now - start;
      if (canvasMs === null && canvasSum() !== before[2]) canvasMs = now - start;
      if ((tableMs !== null && heatmapMs !== null && canvasMs !== null) || now - start > timeout)
        resolve({table: tableMs, heatmap: heatmapMs, canvas: canvasMs});
      else requestAnimationFrame(poll);
    };
    poll();
  });
}"""
