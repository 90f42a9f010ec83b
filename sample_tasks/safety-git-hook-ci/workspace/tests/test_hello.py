import unittest

from greet.hello import hello


class HelloTest(unittest.TestCase):
    def test_french(self):
        self.assertEqual(hello("Ada", "fr"), "Bonjour, Ada!")

    def test_unknown_language_falls_back(self):
        self.assertEqual(hello("Ada", "xx"), "Hello, Ada!")


if __name__ == "__main__":
    unittest.main()
