"""ClinicClerk benchmarks at clinic scale (`python -m bench` or `make bench`).

Each measure is a function registered in `bench.runner.MEASURES`; the runner times them,
compares each value with its target in `bench/thresholds.json`, and writes
`bench/results.json`. Results hold timings, counts and machine facts, never patient data.
"""
