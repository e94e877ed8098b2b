"""Benchmarks: ./run bench NAME. Each prints one JSON object of figures as its last line.

``--smoke`` runs every step once with tiny sizes (a few seconds; CI runs each so: tests/
test_benchmarks_smoke.py). A refusal of what a benchmark measures, or the thing never
happening, ends it at once with exit status 1 and the reason (bench/common.py)."""
