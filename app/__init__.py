"""pledgedb: the Paris 2025 security-guarantee pledges to Ukraine, with evidence."""

from importlib.metadata import version

# pyproject.toml is the one place the version is written; the API and the CLI read it here.
__version__ = version("pledgedb")
