"""P3: change set of 10 changed files, 100,000-file workspace vs a 10-file one."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_tree, median_ms, scratch  # noqa: E402

BIG, SMALL, REPEAT = 100_000, 10, 30

# The same ten changes in both: edits, an addition, a deletion, a chmod, a link.
CHANGES = (
    "echo x >> d0000/f00.txt && echo x >> d0000/f01.txt && echo x >> d0000/f02.txt"
    " && echo new > new1.txt && echo new > new2.txt && rm d0000/f03.txt"
    " && chmod 755 d0000/f04.txt && ln -s d0000/f00.txt link"
    " && echo x > d0000/f05.txt && mv d0000/f06.txt moved.txt"
)


def main() -> None:
    with scratch() as (base, manager):
        sessions = {}
        for name, count in (("big", BIG), ("small", SMALL)):
            session = manager.start(make_tree(base / name, count))
            result = session.exec(CHANGES)
            assert result.exit_code == 0, result.output
            sessions[name] = session
        counts = {name: len(s.changes()) for name, s in sessions.items()}
        assert counts["big"] == counts["small"], counts
        results = {}
        for _ in range(2):  # interleaved, so both see the same machine state
            for name, session in sessions.items():
                results[name] = median_ms(session.changes, REPEAT)
        for session in sessions.values():
            session.close()
        big_ms, small_ms = results["big"], results["small"]
        strategy = sessions["big"].strategy
        print(f"big   {BIG} files: {big_ms:.2f} ms for {counts['big']} changes")
        print(f"small {SMALL} files: {small_ms:.2f} ms for {counts['small']} changes")
        print(
            f"P3 ratio={big_ms / small_ms:.2f} (big {big_ms:.2f} ms, small "
            f"{small_ms:.2f} ms, {counts['big']} changes, {BIG} vs {SMALL} files, "
            f"strategy {strategy}, median of {REPEAT}, goal <= 1.5)"
        )


if __name__ == "__main__":
    main()
