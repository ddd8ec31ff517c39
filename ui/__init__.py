"""The Gradio page's parts: the Analyse and API handlers (``page``), the Live tab (``live``) and the
Evaluation tab (``evaluation``). ``app.py`` is the entry point; only this folder and it import gradio."""
