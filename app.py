"""whisper-viz app: `streamlit run app.py`. A page router only; each page lives in whisper_viz/ui/pages/.

Adding a page is one line in PAGES, e.g. `st.Page(silence.render, title="Silence lab", url_path="silence")`.
"""

import streamlit as st

from whisper_viz.ui.pages import explore, silence, teach

st.set_page_config(page_title="whisper-viz", page_icon=":material/hearing:", layout="wide")

PAGES = [
    st.Page(explore.render, title="Explore", icon=":material/graphic_eq:", url_path="explore", default=True),
    st.Page(silence.render, title="Silence lab", icon=":material/space_bar:", url_path="silence"),
    st.Page(teach.render, title="Teach", icon=":material/school:", url_path="teach"),
]

st.navigation(PAGES).run()
