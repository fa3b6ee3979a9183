"""memaudit's benchmark harness.

Real program pairs with known provenance (``bench/pairs.toml``) are fetched from package registries
at run time into a cache outside the repository, scored by memaudit and by existing similarity
tools on exactly the same files, and summarised in ``docs/benchmarks.md``.

Run it from the repository root with ``python -m bench.run`` (see ``docs/benchmarks.md``).
"""
