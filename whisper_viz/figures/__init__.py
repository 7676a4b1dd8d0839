"""What a person looks at: Plotly figures of attention (heatmap with DTW path, head mosaic) and of
experiments, and their JSON/HTML/PNG renderings. No Streamlit."""
