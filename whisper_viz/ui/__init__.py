"""The Streamlit app (the only Streamlit code): pages/ arranges widgets/, which call the library; state.py holds
a session's view options, resources.py what sessions share (models, analyses)."""
