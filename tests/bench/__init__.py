"""Benchmarks (issue 8): run with ``bash tests/bench/run.sh [--quick]``; never collected by
the default ``pytest`` run (no file here matches ``test_*.py``)."""
