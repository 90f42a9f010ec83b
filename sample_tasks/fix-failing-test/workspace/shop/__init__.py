"""Prices and order totals for a small online shop."""
