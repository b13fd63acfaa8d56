"""What is shown: plotly figures, exported files, summary text."""
