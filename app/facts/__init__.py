"""The fact files and the truth rules: their schemas, reading and verifying every quote at its
offset, and what a source's wording says about certainty (hedges, attribution)."""
