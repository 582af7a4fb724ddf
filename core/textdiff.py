"""Word-level diff of two rationale versions (Review's history): difflib over word tokens, whitespace kept for
display but ignored when matching, so a re-wrapped line is no change."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
_TOKEN = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class WordDiff:
    """The diff as runs of (kind, text) in reading order, each text with its original whitespace, and word counts."""

    runs: list[tuple[str, str]]
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed)


def tokens(text: str) -> list[str]:
    """The text as words, each with the whitespace after it (leading whitespace is a token of its own)."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> WordDiff:
    """What changed from old to new, word by word: deletions come before the insertions that replace them, each
    followed by one space (the new text's whitespace is the one shown)."""
    a, b = tokens(old), tokens(new)
    # difflib's autojunk heuristic (very frequent words of a long text match only inside longer runs) keeps two
    # rewritten 2,000-word versions at ~0.05 s instead of ~0.3 s, with the same readable result.
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b])
    runs: list[tuple[str, str]] = []
    added = removed = 0

    def emit(kind: str, words: list[str]) -> None:
        if not words:
            return
        text = "".join(words)
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + text)
        else:
            runs.append((kind, text))

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            emit(EQUAL, b[j1:j2])
            continue
        if op in ("delete", "replace"):  # shown inline before the new words: its line breaks are not the new text's
            emit(DELETE, a[i1:i2][:-1] + [a[i2 - 1].rstrip() + " "])
            removed += sum(1 for t in a[i1:i2] if t.strip())
        if op in ("insert", "replace"):
            emit(INSERT, b[j1:j2])
            added += sum(1 for t in b[j1:j2] if t.strip())
    return WordDiff(runs=runs, added=added, removed=removed)
