"""The proposal engine: from an article's text to candidate facts in the data files' own format,
each with its exact quote, the cues that fired, and how it relates to the facts already held.

`engine.propose` is the entry point; `cli` holds `pledgedb propose` and `pledgedb sources add`.
Nothing here is imported for its side effects."""
