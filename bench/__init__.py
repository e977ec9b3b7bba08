"""Benchmarks (`make bench`): not timed tests; they print figures to compare with the targets."""
