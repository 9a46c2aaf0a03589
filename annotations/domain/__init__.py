"""Pure-Python domain logic for factcheck. Nothing in this package imports Django."""
