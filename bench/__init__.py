"""Benchmarks: ./run bench NAME. Each prints one JSON object of figures as its last line."""
