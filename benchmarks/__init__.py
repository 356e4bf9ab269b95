"""Performance benchmarks (make bench)."""
