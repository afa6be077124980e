"""ipywidgets explorers, one module per topic. Import the one a notebook needs."""
