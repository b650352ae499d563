"""Disputes: where the sources disagree, or where a later source changes an earlier one.
The facts the rules read (`facts`), how a dispute is told in the sources' own terms (`telling`),
the rules (`rules`), and finding them per data revision within the time limit (`finding`)."""
