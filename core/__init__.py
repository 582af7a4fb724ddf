"""Mirror Studio pipeline: ingest, scenes, rationales, prediction, scores, selection, export. No Streamlit."""

__version__ = "0.1.0"
