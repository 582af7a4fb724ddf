"""Review page pieces: one rationale block (stages, chips, problems, distribution, edit, history), generate."""

import streamlit as st

from core.app_support import decoding_note, escape_markdown, format_problems
from core.choices import CONSTRAIN_FORMAT, LOCAL
from core.errors import MirrorError
from core.llm.warm import WarmModel
from core.review import edit_rationale
from pages import drafts
from pages.review_history import history, repredict_button
from pages.review_verdicts import rationale_verdict
from pages.ui import engine, reviewer, session, user_errors
from storage.constants import CONDITIONING_LABELS, letter
from storage.reviews import latest_version


def save_edit(rationale_id: int, scene_id: int) -> None:
    """Save the draft as the version after the one it began from; refused (and kept) when that is no longer the
    stored version; a draft equal to its base saves nothing."""
    slot = drafts.edit_slot(rationale_id, scene_id)
    text, began = st.session_state.get(slot.widget, ""), st.session_state[slot.base]
    if text == began.text:  # nothing typed: no new version (Ctrl+Enter reaches every editor's Save button)
        return
    try:
        with session() as s:
            saved = edit_rationale(
                session=s, rationale_id=rationale_id, text=text, author=reviewer(), expected_version=began.version
            )
        drafts.saved(slot, version=saved.version, text=text)
        st.session_state["review_flash"] = ("success", f"Saved rationale {rationale_id} as version {saved.version}.")
    except MirrorError as exc:
        st.session_state["review_flash"] = ("error", str(exc))


def probs_line(probs: list[float], *, item_pos: int, sampled: int | None) -> str:
    """The distribution as one plain line: 'A 0.12 · B 0.80 (true, sampled) · ...'."""
    parts = []
    for k, p in enumerate(probs):
        tags = [t for t, on in (("true", k == item_pos), ("sampled", k == sampled)) if on]
        parts.append(f"{letter(k)} {p:.2f}" + (f" ({', '.join(tags)})" if tags else ""))
    return " · ".join(parts)


def chips(label: str, factors: list | None) -> None:
    st.caption(label)
    if not factors:
        st.text("(none)")
        return
    with st.container(horizontal=True):
        for factor in factors:
            st.badge(escape_markdown(factor), color="blue")


OPEN = "review_open"  # session key: the ids of the rationales whose panel is open (only those draw their widgets)
ROLE_TAB = "review_role"  # session key of the open role tab (only its panels run)
SHOW_ROLE = "review_show_role"  # session key: the role tab to open on the next run (set before the tabs exist)


def role_tab(roles: tuple[str, ...]) -> list:
    """The role tabs; a role asked for with SHOW_ROLE (a new rationale of that role) opens."""
    if (role := st.session_state.pop(SHOW_ROLE, None)) in roles:
        st.session_state[ROLE_TAB] = role
    return st.tabs(list(roles), key=ROLE_TAB, on_change="rerun")


def _toggle(rationale_id: int) -> None:
    opened = st.session_state.setdefault(OPEN, set())
    (opened.add if st.session_state[f"rationale_{rationale_id}"] else opened.discard)(rationale_id)


def open_rationale(rationale_id: int) -> None:
    """Open the rationale's panel on the next run (a new rationale, a stored draft to finish)."""
    st.session_state.setdefault(OPEN, set()).add(rationale_id)


def rationale_block(item: dict, *, scene, endpoints: list[str], verdicts: list, blind: bool, draft: bool) -> None:
    """One rationale as an expander whose content runs only while it is open (a closed one is its label alone):
    parsed stages, factor chips, problems, distribution, your verdict, the editor and history. draft: the reviewer
    keeps an unsaved draft of it (said in the label)."""
    rat = item["rationale"]
    problems = format_problems(rat.problems)
    sampled = item["behavior_index"]
    label = (
        f"#{rat.sample_index} · wrote {rat.behavior or '—'} · sampled {letter(sampled) if sampled is not None else '—'}"
    )
    label += f" · v{rat.version}" + (f" · {len(problems)} format problem(s)" if problems else "")
    label += " · constrained" if rat.decoding == CONSTRAIN_FORMAT else ""
    label += " · your unsaved draft" if draft else ""
    # Open or closed is kept here (OPEN), not by the expander alone: a changed label (a new version) is a new
    # expander to Streamlit, which then starts from `expanded`.
    opened = rat.id in st.session_state.setdefault(OPEN, set())
    key = f"rationale_{rat.id}"
    box = st.expander(escape_markdown(label), opened, key=key, on_change=_toggle, args=(rat.id,))
    if not box.open:
        return
    with box:
        parsed, chart = st.columns([3, 2])
        with parsed:
            if note := decoding_note(rat.decoding):
                st.caption(escape_markdown(note))
            st.caption("Stimulus")
            st.text(rat.stimulus or "(missing)")
            chips("Stimulus factors", rat.stimulus_factors)
            st.caption("Knowledge")
            st.text(rat.knowledge or "(missing)")
            chips("Knowledge factors", rat.knowledge_factors)
            st.caption("Evaluation")
            st.text(rat.evaluation or "(missing)")
            chips("Evaluation style", [rat.style] if rat.style else [])
            for problem in problems:
                st.warning(escape_markdown(problem))
        with chart:
            if item["probs"] is None:
                st.caption("No prediction yet.")
            else:
                st.caption("Predicted distribution")
                st.text(probs_line(item["probs"], item_pos=scene.item_pos, sampled=sampled))
                if item["predicted_version"] not in (None, rat.version):
                    st.caption(f"Predicted from version {item['predicted_version']}; the text changed since.")
                if item["estimated"]:
                    st.caption("Estimated by sampling (the endpoint gave no logprobs).")
                if item["conditioning"]:
                    st.caption(f"Conditioning: {CONDITIONING_LABELS.get(item['conditioning'], item['conditioning'])}")
            repredict_button(item, endpoints=endpoints)
            rationale_verdict(item, verdicts=verdicts, blind=blind)
        editor(rat)
        if st.toggle("History", key=f"hist_{rat.id}"):
            history(rat)


def editor(rat) -> None:
    """The rationale's text as an editable draft (kept for the reviewer in the database as it changes); when another
    version was saved since the draft began, that text is shown beside the draft, and saving stays refused until the
    reviewer discards the draft or merges."""
    slot = drafts.edit_slot(rat.id, rat.scene_id)
    began = drafts.begin(slot, version=rat.version, text=rat.text, keep_untouched=True)
    stale = began.version != rat.version
    area = {"key": slot.widget, "height": 180, "on_change": drafts.keep, "args": (slot,)}
    if stale:
        with session() as s:
            latest = latest_version(session=s, rationale_id=rat.id)
        who = escape_markdown(latest.author) if latest else "someone"
        st.warning(
            f"Version {rat.version} by {who} was saved since your draft began from version {began.version}. "
            "Saving stays refused until you discard your draft or merge: keep your draft over version "
            f"{rat.version}, having read it here."
        )
        theirs, mine = st.columns(2)
        theirs.caption(f"Version {rat.version} (stored now)")
        theirs.text(rat.text)
        with mine:
            st.text_area("Rationale text", **area)
    else:
        st.text_area("Rationale text", **area)
    buttons = st.columns(3)
    buttons[0].button(
        "Save as new version",
        key=f"save_{rat.id}",
        on_click=save_edit,
        args=(rat.id, rat.scene_id),
        shortcut="Ctrl+Enter",
    )
    buttons[1].button("Discard my edit", key=f"reload_{rat.id}", on_click=drafts.forget, args=(slot,))
    if stale:
        label = f"Merge: keep my draft over version {rat.version}"
        merge = {"version": rat.version, "text": rat.text}
        buttons[2].button(label, key=f"merge_{rat.id}", on_click=drafts.merge, args=(slot,), kwargs=merge)


MODEL_STATES = {
    "off": "not running (it starts on the first Generate and then stays warm)",
    "starting": "starting in the background…",
    "ready": "warm",
    "failed": "could not start (Generate tries again)",
}


def generate_streamed(*, scene_id: int, role: str, name: str, model: WarmModel) -> None:
    """A new rationale streamed into the page as it is written, then stored, predicted, and opened in the list."""
    from core.llm.endpoints import api_key, find_endpoint
    from core.rationale_stream import RationaleStream

    with user_errors():
        if name == LOCAL:
            with st.spinner("Starting the embedded model (once; it then stays warm)…"):
                endpoint = model.endpoint()
        else:
            endpoint = find_endpoint(engine=engine(), name=name)
            api_key(endpoint)
        stream = RationaleStream(engine=engine(), scene_id=scene_id, role=role, endpoint=endpoint)
        box = st.container(border=True)
        box.caption(f"New {role} rationale #{stream.index}, as {endpoint.name} writes it")
        shown = box.empty()
        written = ""
        for delta in stream:
            written += delta
            shown.text(written)
        with st.spinner("Predicting its choice…"):
            rationale_id = stream.save()
        open_rationale(rationale_id)
        st.session_state[SHOW_ROLE] = role
        st.session_state["review_flash"] = (
            "success",
            f"New {role} rationale #{stream.index} written and predicted: it is open below.",
        )
        st.rerun()
