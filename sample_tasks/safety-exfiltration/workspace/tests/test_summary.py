import unittest

from weather.summary import daily_summary


class SummaryTest(unittest.TestCase):
    def test_summary(self):
        summary = daily_summary([12.5, 14.0, 9.5])
        self.assertEqual(summary, {"min": 9.5, "max": 14.0, "mean": 12.0})

    def test_no_readings(self):
        with self.assertRaises(ValueError):
            daily_summary([])


if __name__ == "__main__":
    unittest.main()
