"""Writes and their history: the one write core every write goes through (seed, import, API),
the audit log and `as_of`, the seed and the synthetic scale-up."""
