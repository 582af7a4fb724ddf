"""Review page pieces: your verdict on a rationale (good / bad / unsure, an optional reason) in its open panel beside
everyone's, the scene's verdicts in one list, and the chosen/rejected pair set by hand. Layout only; the rules are
core/verdicts.py's."""

import streamlit as st

from core.app_support import escape_markdown
from core.errors import MirrorError
from core.verdicts import clear_pair, mark_rationale, pair_of, set_pair, verdicts_of
from pages.ui import reviewer, session
from storage.constants import RATIONALE_VERDICTS, VERDICT_REASONS, letter

NONE = "—"
PAIR_OPEN = "review_pair_open"  # session key: the by-hand pair expander is open


def _flash(kind: str, text: str) -> None:
    st.session_state["review_flash"] = (kind, text)


def _save_verdict(rationale_id: int) -> None:
    verdict = st.session_state.get(f"verdict_{rationale_id}") or NONE
    reason = st.session_state.get(f"reason_{rationale_id}") or NONE
    try:
        with session() as s:
            mark_rationale(
                session=s,
                rationale_id=rationale_id,
                verdict=None if verdict == NONE else verdict,
                reviewer=reviewer(),
                reason=None if reason == NONE or verdict == NONE else reason,
            )
        _flash("success", f"Rationale {rationale_id}: {'verdict removed' if verdict == NONE else verdict}.")
    except MirrorError as exc:
        _flash("error", str(exc))


def _set_pair(scene_id: int) -> None:
    chosen, rejected = st.session_state[f"pair_chosen_{scene_id}"], st.session_state[f"pair_rejected_{scene_id}"]
    try:
        with session() as s:
            set_pair(session=s, scene_id=scene_id, chosen_id=chosen, rejected_id=rejected, reviewer=reviewer())
        _flash("success", f"Scene {scene_id}: chosen {chosen}, rejected {rejected} (your pair; exports use it).")
    except MirrorError as exc:
        _flash("error", str(exc))


def _clear_pair(scene_id: int) -> None:
    try:
        with session() as s:
            clear_pair(session=s, scene_id=scene_id, reviewer=reviewer())
        _flash("success", f"Scene {scene_id}: back to the computed pair.")
    except MirrorError as exc:
        _flash("error", str(exc))


def _label(item: dict) -> str:
    rat, sampled = item["rationale"], item["behavior_index"]
    return f"{rat.role} #{rat.sample_index} · wrote {rat.behavior or '—'} · sampled " + (
        letter(sampled) if sampled is not None else "—"
    )


def scene_verdicts(scene_id: int) -> tuple[dict[int, list], object]:
    """Every reviewer's verdict on the scene's rationales (rationale id -> rows) and its human pair (or None)."""
    with session() as s:
        return verdicts_of(session=s, scene_id=scene_id), pair_of(session=s, scene_id=scene_id)


def rationale_verdict(item: dict, *, verdicts: list, blind: bool) -> None:
    """Your verdict on one rationale (good / bad / unsure, a reason), saved as you pick it; everyone else's below
    unless the scene is in blind double review. Drawn inside the rationale's open panel."""
    rid, me = item["rationale"].id, reviewer()
    mine = next((v for v in verdicts if v.reviewer == me), None)
    options, reasons = [NONE, *RATIONALE_VERDICTS], [NONE, *VERDICT_REASONS]
    cols = st.columns([3, 2])
    cols[0].radio(
        "Your verdict",
        options,
        index=options.index(mine.verdict) if mine else 0,
        horizontal=True,
        key=f"verdict_{rid}",
        on_change=_save_verdict,
        args=(rid,),
    )
    cols[1].selectbox(
        "Reason",
        reasons,
        index=reasons.index(mine.reason) if mine and mine.reason else 0,
        key=f"reason_{rid}",
        on_change=_save_verdict,
        args=(rid,),
    )
    if not blind and (others := [v for v in verdicts if v.reviewer != me]):
        st.caption(escape_markdown(_said(others)))


def _said(rows: list) -> str:
    return " · ".join(f"{v.reviewer}: {v.verdict}" + (f" ({v.reason})" if v.reason else "") for v in rows)


def verdicts_section(
    *, scene_id: int, rationales: list[dict], computed: dict | None, verdicts: dict, human, blind: bool = False
) -> None:
    """The scene's rationale verdicts in one compact list (yours, and everyone's unless the scene is in blind double
    review; each rationale's own panel takes yours), and the human pair of the scene."""
    if not rationales:
        return
    me = reviewer()
    lines = []
    for item in rationales:
        rows = verdicts.get(item["rationale"].id, [])
        shown = rows if not blind else [v for v in rows if v.reviewer == me]
        if shown:
            lines.append(f"- {escape_markdown(_label(item))}: {escape_markdown(_said(shown))}")
    scope = "yours; others' hidden in blind double review" if blind else "everyone's"
    st.markdown(f"**Rationale verdicts** ({scope}; open a rationale above to give yours)")
    if lines:
        st.markdown("\n".join(lines))
    else:
        st.caption("No verdict on this scene's rationales yet.")

    labels = {item["rationale"].id: _label(item) for item in rationales}
    ids = list(labels)
    default = (human.chosen_rationale_id, human.rejected_rationale_id) if human else None
    if default is None and computed:
        default = (computed["chosen"], computed["rejected"])
    default = default if default and set(default) <= set(ids) else (ids[0], ids[-1])
    source = f"set by {human.reviewer}; exports use it" if human else "computed by the selection"
    st.markdown(f"**Chosen / rejected pair** (now: {escape_markdown(source)})")
    # Built only when opened (it stays open from scene to scene): its two selectboxes, new widgets on every scene,
    # cost each move and each fresh tab in the browser.
    by_hand = st.expander("Set the pair by hand", key=PAIR_OPEN, on_change="rerun")
    if not by_hand.open:
        return
    cols = by_hand.columns([3, 3, 1, 1])
    cols[0].selectbox("Chosen", ids, index=ids.index(default[0]), format_func=labels.get, key=f"pair_chosen_{scene_id}")
    cols[1].selectbox(
        "Rejected", ids, index=ids.index(default[1]), format_func=labels.get, key=f"pair_rejected_{scene_id}"
    )
    cols[2].button("Use this pair", key="pair_set", on_click=_set_pair, args=(scene_id,))
    cols[3].button("Computed pair", key="pair_clear", disabled=human is None, on_click=_clear_pair, args=(scene_id,))
