"""P5: the review model for 1,000 changed text files against difflib alone.

Both sides get the same pairs from disk: the baseline reads each pair and runs
difflib.unified_diff; the review model reads the change set's pairs, detects
binary content, flags, and splits every file into hunks. Goal: ratio <= 1.3.
"""

from __future__ import annotations

import difflib
import random
import sys
import tempfile
import time
from pathlib import Path

from workbench.changes.changeset import changes_from_upper
from workbench.changes.review import Review

FILES = 1000
LINES = 200


def _make(root: Path) -> tuple[Path, Path]:
    folder, upper = root / "folder", root / "upper"
    rng = random.Random(5)
    for index in range(FILES):
        lines = [f"def f{index}_{n}(x):  # {rng.random():.6f}\n" for n in range(LINES)]
        old = "".join(lines)
        for _ in range(rng.randint(1, 6)):
            lines[rng.randrange(LINES)] = f"    return {rng.random():.6f}\n"
        rel = Path(f"pkg{index % 20}") / f"mod{index}.py"
        for base, text in ((folder, old), (upper, "".join(lines))):
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            (base / rel).write_text(text)
    return folder, upper


def _difflib_alone(pairs: list[tuple[Path, Path]]) -> int:
    total = 0
    for old, new in pairs:
        a = old.read_text().splitlines(keepends=True)
        b = new.read_text().splitlines(keepends=True)
        total += len(list(difflib.unified_diff(a, b)))
    return total


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder, upper = _make(Path(tmp))
        changes = changes_from_upper(folder, upper)
        pairs = [(c.old_path, c.new_path) for c in changes if c.kind == "modified"]
        assert len(pairs) == FILES, len(pairs)

        best_review = best_difflib = float("inf")
        hunks = 0
        for _ in range(9):  # alternate, keep each side's best run
            start = time.perf_counter()
            review = Review.build(changes)
            best_review = min(best_review, time.perf_counter() - start)
            hunks = review.summary().hunks
            del review  # neither side runs with the other's results alive
            start = time.perf_counter()
            _difflib_alone(pairs)  # type: ignore[arg-type]
            best_difflib = min(best_difflib, time.perf_counter() - start)

    ratio = best_review / best_difflib
    print(f"{FILES} files, {hunks} hunks")
    print(
        f"P5 ratio={ratio:.2f} (review {best_review * 1000:.0f} ms, "
        f"difflib {best_difflib * 1000:.0f} ms)"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
