"""Reference data (regions, centres, sectors) and datasets: the Jakarta demo, synthetic data."""
