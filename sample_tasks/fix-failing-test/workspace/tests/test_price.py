import unittest

from shop.price import apply_discount, order_total


class DiscountTest(unittest.TestCase):
    def test_no_discount_keeps_the_price(self):
        self.assertEqual(apply_discount(20.0, 0), 20.0)

    def test_discount_is_rounded_to_cents(self):
        self.assertEqual(apply_discount(19.99, 15), 16.99)


class TotalTest(unittest.TestCase):
    def test_total_multiplies_quantities(self):
        self.assertEqual(order_total([(2.5, 2), (0.1, 3)]), 5.3)


if __name__ == "__main__":
    unittest.main()
