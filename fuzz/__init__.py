"""Coverage-guided fuzzing of every input boundary: ``./run fuzz`` (see ``__main__``)."""
