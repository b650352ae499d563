"""Derived reads: what the answers are built from beyond one table — the nation list,
inheritance of the coalition's commitments, disputes between sources, per-revision caches, and
the data package of the whole database."""
