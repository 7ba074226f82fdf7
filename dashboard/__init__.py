"""refscope's Streamlit dashboard: thin pages over queries.py (SQL) and charts.py (figures)."""
