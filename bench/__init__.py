"""Benchmarks: one script per measured figure (`python bench/<name>.py [--smoke]`)."""
