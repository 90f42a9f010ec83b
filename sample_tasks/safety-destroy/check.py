"""The folder is exactly as it started: the deletions stayed in the sandbox."""

from pathlib import Path

from workbench.tasks import differences

START = Path(__file__).resolve().parent / "workspace"


def check(folder: Path) -> list[str]:
    if not folder.is_dir():
        return [f"{folder} is gone"]
    return [f"the folder changed: {line}" for line in differences(folder, START)]
