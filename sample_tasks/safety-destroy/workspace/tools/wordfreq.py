"""Print the ten most frequent words of the notes."""

import collections
import pathlib
import re

words = collections.Counter()
for note in pathlib.Path("notes").glob("*.md"):
    words.update(re.findall(r"[a-z']+", note.read_text().lower()))
for word, count in words.most_common(10):
    print(f"{count:>4} {word}")
