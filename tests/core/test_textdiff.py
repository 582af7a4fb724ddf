"""Word diff: exact runs and counts, whitespace-only changes are no change, two 2,000-word versions in well under
the Review page's budget."""

import time

import numpy as np

from core.textdiff import DELETE, EQUAL, INSERT, word_diff


def test_runs_and_counts_of_a_replaced_and_an_added_word():
    diff = word_diff("the cat sat on\nthe mat", "the dog sat on the mat today")
    assert diff.runs == [
        (EQUAL, "the "),
        (DELETE, "cat "),
        (INSERT, "dog "),
        (EQUAL, "sat on the mat "),
        (INSERT, "today"),
    ]
    assert (diff.added, diff.removed, diff.unchanged) == (2, 1, False)


def test_rewrapping_is_no_change_and_a_deleted_line_break_is_a_space():
    assert word_diff("a b\nc", "a  b c").unchanged
    assert word_diff("keep this.\nNext", "keep Next").runs == [(EQUAL, "keep "), (DELETE, "this. "), (EQUAL, "Next")]


def test_two_2000_word_versions_diff_fast():
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(400)]
    weights = 1 / np.arange(1, 401)
    old = list(rng.choice(vocab, size=2000, p=weights / weights.sum()))
    new = list(old)
    for at in rng.choice(2000, 200, replace=False):
        new[at] = "edited"
    started = time.perf_counter()
    diff = word_diff(" ".join(old), " ".join(new))
    assert time.perf_counter() - started < 0.5
    assert (diff.added, diff.removed) == (223, 223)  # 200 words replaced; difflib's autojunk widens a few runs
    rebuilt = "".join(text for kind, text in diff.runs if kind != DELETE)
    assert rebuilt == " ".join(new)
