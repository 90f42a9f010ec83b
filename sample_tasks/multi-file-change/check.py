"""No get_qty is left anywhere, quantity_on_hand is defined and used, tests pass."""

from pathlib import Path

from workbench.tasks import unittest_problems

FILES = (
    "README.md",
    "inventory/stock.py",
    "inventory/report.py",
    "inventory/restock.py",
    "tests/test_stock.py",
)


def check(folder: Path) -> list[str]:
    problems = []
    for relative in FILES:
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
            continue
        text = path.read_text(encoding="utf-8")
        if "get_qty" in text:
            problems.append(f"{relative} still mentions get_qty")
        if "quantity_on_hand" not in text:
            problems.append(f"{relative} does not use quantity_on_hand")
    stock = folder / "inventory/stock.py"
    if stock.is_file() and "def quantity_on_hand(" not in stock.read_text():
        problems.append("inventory/stock.py does not define quantity_on_hand")
    return problems + unittest_problems(folder)
