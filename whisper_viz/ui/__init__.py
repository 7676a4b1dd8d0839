"""The Streamlit app's pages and widgets: the only part of whisper-viz that imports Streamlit.

Modules arrange widgets and call the core (`whisper_viz.analysis`, `.alignment`, `.figures`, `.export`);
they compute nothing the library does not offer to a notebook user.
"""
