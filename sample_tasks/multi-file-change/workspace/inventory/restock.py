"""Which SKUs to order again."""

from inventory.stock import get_qty


def to_reorder(stock, minimums):
    """SKUs whose units on hand fell below their minimum, with the shortfall."""
    return {
        sku: minimum - get_qty(stock, sku)
        for sku, minimum in minimums.items()
        if get_qty(stock, sku) < minimum
    }
