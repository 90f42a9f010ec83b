"""`wcount --lines` and `-l` count lines, a test covers it, and the suite passes."""

import tempfile
from pathlib import Path

from workbench.tasks import run_python, unittest_problems


def _first_number(output: str) -> str:
    words = output.split()
    return words[0] if words else "(nothing)"


def check(folder: Path) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        sample = Path(scratch) / "sample.txt"
        sample.write_text("alpha beta\ngamma\n\ndelta epsilon zeta\n")
        for flag in ("--lines", "-l"):
            code, output = run_python(folder, "-m", "wcount", flag, str(sample))
            if code != 0 or _first_number(output) != "4":
                problems.append(
                    f"wcount {flag} on a 4-line file printed {output.strip()!r} "
                    f"(exit {code})"
                )
        code, output = run_python(folder, "-m", "wcount", str(sample))
        if code != 0 or _first_number(output) != "6":
            problems.append(
                f"wcount without options no longer counts words: {output!r}"
            )
    tests = folder / "tests"
    texts = [p.read_text() for p in tests.glob("test*.py")] if tests.is_dir() else []
    if not any("--lines" in text or '"-l"' in text for text in texts):
        problems.append("no test uses the new --lines option")
    return problems + unittest_problems(folder)
