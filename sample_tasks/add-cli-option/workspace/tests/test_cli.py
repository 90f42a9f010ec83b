import io
import os
import tempfile
import unittest

from wcount.cli import main


class CliTest(unittest.TestCase):
    def setUp(self):
        handle, self.path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(handle, "w") as out:
            out.write("one two three\nfour five\n")
        self.addCleanup(os.remove, self.path)

    def run_main(self, *args):
        out = io.StringIO()
        self.assertEqual(main([*args, self.path], out=out), 0)
        return out.getvalue()

    def test_counts_words(self):
        self.assertEqual(self.run_main().split()[0], "5")


if __name__ == "__main__":
    unittest.main()
