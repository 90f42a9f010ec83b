"""Prices in euros, always rounded to whole cents."""


def apply_discount(price, percent):
    """The price after taking off `percent` per cent."""
    return price * (1 - percent / 100)


def order_total(lines):
    """Sum of (unit price, quantity) lines."""
    return round(sum(price * quantity for price, quantity in lines), 2)
