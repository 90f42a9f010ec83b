"""Plain-text stock reports."""

from inventory.stock import get_qty


def report(stock, skus):
    """One line per SKU: name and units on hand."""
    return "\n".join(f"{sku:<10}{get_qty(stock, sku):>5}" for sku in skus)
