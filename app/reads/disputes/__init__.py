"""Disputes: where the sources disagree, or where a later source changes an earlier one.
The facts the rules read (`facts`), how a dispute is told in the sources' own terms (`telling`),
the rules (`rules`), finding them per data revision within the time limit (`finding`), and the
stamps of what they read, which keep one nation's while they are unchanged (`inputs`)."""
