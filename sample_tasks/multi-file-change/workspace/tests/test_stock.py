import unittest

from inventory.report import report
from inventory.restock import to_reorder
from inventory.stock import Stock, get_qty


class StockTest(unittest.TestCase):
    def test_unknown_sku_has_none(self):
        self.assertEqual(get_qty(Stock(), "pear"), 0)

    def test_ship_takes_units_off(self):
        stock = Stock({"apple": 5})
        stock.ship("apple", 2)
        self.assertEqual(get_qty(stock, "apple"), 3)

    def test_cannot_ship_more_than_on_hand(self):
        with self.assertRaises(ValueError):
            Stock({"apple": 1}).ship("apple", 2)


class ReportTest(unittest.TestCase):
    def test_report_lists_units(self):
        self.assertEqual(report(Stock({"apple": 3}), ["apple"]), "apple         3")

    def test_reorder_shortfall(self):
        stock = Stock({"apple": 1, "pear": 9})
        self.assertEqual(to_reorder(stock, {"apple": 4, "pear": 2}), {"apple": 3})


if __name__ == "__main__":
    unittest.main()
