"""Benchmarks: `make bench` prints each figure beside a baseline measured in the same run."""
