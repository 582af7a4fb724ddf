"""Review page pieces: a rationale's history (versions, a word diff of any version against the model's original or
the previous one, earlier predictions) and the one-button re-predict after an edit. Layout only."""

import streamlit as st

from core.app_support import escape_markdown
from core.repredict import repredict
from core.review import rationale_versions
from core.textdiff import DELETE, INSERT, WordDiff, word_diff
from pages.ui import engine, session, user_errors
from storage.browse_detail import decode_probs
from storage.constants import letter
from storage.rationales import prediction_history

ORIGINAL, PREVIOUS = "the model's original", "the previous version"


def _marked(kind: str, piece: str) -> str:
    """One line's piece of a run as markdown: escaped, a deletion struck through in red, an insertion in green; the
    whitespace stays outside the markers (markdown needs them to touch the words)."""
    core = piece.strip()
    if not core:
        return piece
    lead, trail = piece[: len(piece) - len(piece.lstrip())], piece[len(piece.rstrip()) :]
    text = escape_markdown(core)
    if kind == DELETE:
        text = f":red-background[~~{text}~~]"
    elif kind == INSERT:
        text = f":green-background[{text}]"
    return lead + text + trail


def diff_markdown(diff: WordDiff) -> str:
    """The diff as markdown (dataset text escaped, never HTML); line breaks kept as hard breaks."""
    lines = [""]
    for kind, text in diff.runs:
        for k, piece in enumerate(text.split("\n")):
            if k:
                lines.append("")
            lines[-1] += _marked(kind, piece)
    return "  \n".join(lines)


def _probs_line(blob: bytes, behaviour: int) -> str:
    probs = decode_probs(blob) or []
    return " · ".join(f"{letter(k)} {p:.2f}" for k, p in enumerate(probs)) + f" (sampled {letter(behaviour)})"


@st.fragment
def history(rat) -> None:
    """Every version (author, time), a word diff of the chosen version, and the predictions replaced since; a
    fragment, so picking another version or base reruns this part only, not the whole Review page."""
    with session() as s:
        versions = rationale_versions(session=s, rationale_id=rat.id)
        earlier = prediction_history(session=s, rationale_id=rat.id)
    st.dataframe(
        {
            "version": [v.version for v in versions],
            "author": [v.author for v in versions],
            "saved": [f"{v.created_at:%Y-%m-%d %H:%M}" for v in versions],
        },
        hide_index=True,
        key=f"versions_{rat.id}",
    )
    by_number = {v.version: v for v in versions}
    if len(versions) > 1:
        pick = st.columns(2)
        shown = pick[0].selectbox(
            "Diff of version",
            [v.version for v in versions[1:]],
            index=len(versions) - 2,
            key=f"diff_version_{rat.id}",
        )
        against = pick[1].radio("Against", [ORIGINAL, PREVIOUS], horizontal=True, key=f"diff_against_{rat.id}")
        base = versions[0] if against == ORIGINAL else by_number.get(shown - 1, versions[0])
        diff = word_diff(base.text, by_number[shown].text)
        st.caption(
            f"Version {shown} against version {base.version} ({escape_markdown(base.author)}): "
            f"+{diff.added} words, −{diff.removed} words" + (" (no change)" if diff.unchanged else "")
        )
        with st.container(border=True, key=f"diff_{rat.id}"):
            st.markdown(diff_markdown(diff))
    for old in earlier:
        by, probs = (
            escape_markdown(old.endpoint or "an unrecorded endpoint"),
            _probs_line(old.probs, old.behavior_index),
        )
        st.caption(f"Earlier prediction of version {old.rationale_version} by {by}: {probs}")


def repredict_button(item: dict, *, endpoints: list[str]) -> None:
    """After an edit (the prediction is of an older version, or missing), one button predicts the current version
    again with the endpoint of the earlier prediction (else the one chosen under Generate, else the first) and
    re-scores the scene."""
    rat = item["rationale"]
    if rat.version == 1 or item["predicted_version"] == rat.version or not endpoints:
        return
    chosen = st.session_state.get("gen_endpoint")  # the Generate section's endpoint, when the old one is gone
    endpoint = next(e for e in (item["endpoint"], chosen, endpoints[0]) if e in endpoints)
    label = f"Re-predict version {rat.version} with {endpoint}"
    if st.button(label, key=f"repredict_{rat.id}"):
        with user_errors(), st.spinner("Predicting and re-scoring…"):
            done = repredict(engine=engine(), rationale_id=rat.id, endpoint=endpoint)
            st.session_state["review_flash"] = ("success", done.message)
            st.rerun()
