"""What is on the shelves."""


class Stock:
    """Units on hand per SKU."""

    def __init__(self, levels=None):
        self.levels = dict(levels or {})

    def receive(self, sku, units):
        self.levels[sku] = self.levels.get(sku, 0) + units

    def ship(self, sku, units):
        if get_qty(self, sku) < units:
            raise ValueError(f"only {get_qty(self, sku)} of {sku} left")
        self.levels[sku] -= units


def get_qty(stock, sku):
    """Units of `sku` on hand; unknown SKUs have none."""
    return stock.levels.get(sku, 0)
