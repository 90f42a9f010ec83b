"""A live tree of the files the agent changed in the sandbox."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from workbench.tui.messages import ChangedPath

_LETTERS = {"added": "A", "modified": "M", "deleted": "D"}


class ChangeTree(Tree[ChangedPath | None]):
    """Directories fold; each file shows A, M or D in its kind's theme colour."""

    COMPONENT_CLASSES = Tree.COMPONENT_CLASSES | {
        "change-tree--added",
        "change-tree--modified",
        "change-tree--deleted",
    }
    DEFAULT_CSS = """
    ChangeTree { height: 1fr; min-height: 3; padding: 0 1; background: $surface; }
    ChangeTree > .change-tree--added { color: $success; text-style: bold; }
    ChangeTree > .change-tree--modified { color: $primary; text-style: bold; }
    ChangeTree > .change-tree--deleted { color: $error; text-style: bold; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("Changes", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self.changes: list[ChangedPath] = []

    def show(self, changes: list[ChangedPath]) -> None:
        """Replace the tree with these changes (sorted by path)."""
        changes = sorted(changes, key=lambda c: c.path)
        if changes == self.changes:
            return
        self.changes = changes
        self.clear()
        dirs: dict[str, TreeNode[ChangedPath | None]] = {"": self.root}
        parents = {c.path.rpartition("/")[0] for c in self.changes}
        for change in self.changes:
            inside = change.path + "/"
            if any(p == change.path or p.startswith(inside) for p in parents):
                # A changed directory with changes inside: its node carries the mark.
                self._dir_node(dirs, change.path).data = change
                continue
            head, _, name = change.path.rpartition("/")
            self._dir_node(dirs, head).add_leaf(Text(name), data=change)
        self.root.expand_all()

    def _dir_node(
        self, dirs: dict[str, TreeNode[ChangedPath | None]], path: str
    ) -> TreeNode[ChangedPath | None]:
        if path in dirs:
            return dirs[path]
        head, _, name = path.rpartition("/")
        node = self._dir_node(dirs, head).add(Text(name + "/"), expand=True)
        dirs[path] = node
        return node

    def render_label(
        self, node: TreeNode[ChangedPath | None], base_style: Style, style: Style
    ) -> Text:
        label = super().render_label(node, base_style, style)
        change = node.data
        if change is None:
            return label
        letter = _LETTERS.get(change.kind, "?")
        mark = self.get_component_rich_style(f"change-tree--{change.kind}")
        return Text.assemble((letter + " ", mark), label)
