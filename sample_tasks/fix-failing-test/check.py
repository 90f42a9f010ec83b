"""The discount is rounded to cents, the tests pass, and the tests were not edited."""

from pathlib import Path

from workbench.tasks import same_file, unittest_problems

START = Path(__file__).resolve().parent / "workspace"


def check(folder: Path) -> list[str]:
    problems = []
    if not same_file(folder, START, "tests/test_price.py"):
        problems.append("tests/test_price.py was changed; the fix belongs in shop/")
    return problems + unittest_problems(folder)
