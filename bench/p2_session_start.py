"""P2: session start on a 100,000-file folder against a 10-file folder."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_tree, scratch  # noqa: E402

BIG, SMALL, ROUNDS = 100_000, 10, 7


def main() -> None:
    with scratch() as (base, manager):
        big = make_tree(base / "big", BIG)
        small = make_tree(base / "small", SMALL)
        manager.start(small).close()  # probe overlay and warm the engine once
        times: dict[str, list[float]] = {"big": [], "small": []}
        strategy = ""
        for _ in range(ROUNDS):
            for name, folder in (("big", big), ("small", small)):
                started = time.perf_counter()
                session = manager.start(folder)
                times[name].append((time.perf_counter() - started) * 1000)
                strategy = session.strategy
                session.close()
                manager.drop(session.id)
        big_ms = statistics.median(times["big"])
        small_ms = statistics.median(times["small"])
        print(f"big   {BIG} files: {big_ms:.1f} ms (median of {ROUNDS})")
        print(f"small {SMALL} files: {small_ms:.1f} ms (median of {ROUNDS})")
        print(
            f"P2 ratio={big_ms / small_ms:.2f} (big {big_ms:.1f} ms, small "
            f"{small_ms:.1f} ms, {BIG} vs {SMALL} files, strategy {strategy}, "
            f"median of {ROUNDS}, goal <= 1.2)"
        )


if __name__ == "__main__":
    main()
