"""Stock levels for a warehouse."""
