"""Splitting a text change into hunks and merging any choice of them back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.changes.hunks import edited_lines, merge, split_hunks, split_lines

# Few distinct lines make changes land close together and far apart alike.
_line = st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\r\n", "\n", "f"])
_lines = st.lists(_line, max_size=40)


def _text(lines: list[str]) -> list[str]:
    # A line without an ending only ever ends a file.
    return split_lines("".join(lines))


@settings(max_examples=200, deadline=None)
@given(_lines, _lines)
def test_accepting_every_hunk_gives_the_new_text(
    old: list[str], new: list[str]
) -> None:
    old, new = _text(old), _text(new)
    hunks = split_hunks(old, new)
    assert merge(old, hunks, [list(h.new_lines) for h in hunks]) == "".join(new)


@settings(max_examples=200, deadline=None)
@given(_lines, _lines)
def test_rejecting_every_hunk_gives_the_old_text(
    old: list[str], new: list[str]
) -> None:
    old, new = _text(old), _text(new)
    hunks = split_hunks(old, new)
    assert merge(old, hunks, [None] * len(hunks)) == "".join(old)


@settings(max_examples=300, deadline=None)
@given(_lines, _lines, st.data())
def test_any_subset_equals_reverting_the_others_from_the_new_side(
    old: list[str], new: list[str], data: st.DataObject
) -> None:
    old, new = _text(old), _text(new)
    hunks = split_hunks(old, new)
    accepted = data.draw(
        st.lists(st.booleans(), min_size=len(hunks), max_size=len(hunks))
    )

    forward = merge(
        old,
        hunks,
        [
            list(h.new_lines) if a else None
            for h, a in zip(hunks, accepted, strict=True)
        ],
    )

    # Walk the new text, putting back the old span of every rejected hunk.
    backward: list[str] = []
    position = 0
    for hunk, take in zip(hunks, accepted, strict=True):
        backward += new[position : hunk.new_start]
        backward += hunk.new_lines if take else hunk.old_lines
        position = hunk.new_end
    backward += new[position:]
    assert forward == "".join(backward)


@settings(max_examples=200, deadline=None)
@given(_lines, _lines)
def test_hunks_are_ordered_disjoint_and_describe_their_lines(
    old: list[str], new: list[str]
) -> None:
    old, new = _text(old), _text(new)
    hunks = split_hunks(old, new)
    assert [h.index for h in hunks] == list(range(len(hunks)))
    for first, second in zip(hunks, hunks[1:], strict=False):
        assert first.old_end <= second.old_start
        assert first.new_end <= second.new_start
    for hunk in hunks:
        assert list(hunk.old_lines) == old[hunk.old_start : hunk.old_end]
        assert list(hunk.new_lines) == new[hunk.new_start : hunk.new_end]
        rows = hunk.lines()
        assert [t for m, t in rows if m != "+"][len(hunk.before) :][
            : len(hunk.old_lines)
        ] == list(hunk.old_lines)
        assert hunk.added == sum(1 for m, _ in rows if m == "+")
        assert hunk.removed == sum(1 for m, _ in rows if m == "-")


def test_accepting_one_hunk_and_rejecting_another_gives_the_expected_file() -> None:
    old = split_lines("".join(f"line {i}\n" for i in range(20)))
    new = list(old)
    new[1] = "changed 1\n"
    new[15] = "changed 15\n"
    hunks = split_hunks(old, new)
    assert len(hunks) == 2

    result = merge(old, hunks, [list(hunks[0].new_lines), None])

    expected = list(old)
    expected[1] = "changed 1\n"
    assert result == "".join(expected)


def test_a_header_counts_lines_like_diff_u() -> None:
    old = split_lines("a\nb\nc\nd\ne\nf\ng\nh\n")
    new = split_lines("a\nb\nc\nd\nE\nf\ng\nh\n")
    (hunk,) = split_hunks(old, new)
    assert hunk.header == "@@ -2,7 +2,7 @@"
    (added,) = split_hunks([], split_lines("x\ny\n"))
    assert added.header == "@@ -0,0 +1,2 @@"


def test_an_edited_hunk_gets_a_newline_unless_it_ends_the_file() -> None:
    old = split_lines("a\nb\nc\n")
    new = split_lines("a\nB\nc\n")
    (hunk,) = split_hunks(old, new, context=0)
    lines = edited_lines(hunk, "edited", len(old))
    assert merge(old, [hunk], [lines]) == "a\nedited\nc\n"

    tail_old = split_lines("a\nb")
    tail_new = split_lines("a\nc")
    (tail,) = split_hunks(tail_old, tail_new, context=0)
    assert merge(tail_old, [tail], [edited_lines(tail, "z", 2)]) == "a\nz"
