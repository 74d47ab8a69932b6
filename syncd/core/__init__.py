"""The functional core: roster, cadence, matching, classification, history and the plan.

Pure functions over plain data. Nothing here reads a file, a socket, a database or the
clock; `tests/unit/test_core_purity.py` (and import-linter in `make test`) keep it so.
"""
