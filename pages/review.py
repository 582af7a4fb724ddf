"""Review one scene (deep link ?scene=ID): text, rationales, distributions, scores; edit, generate, approve."""

import streamlit as st

from core.app_support import escape_markdown, filter_from_params, filter_to_params
from core.choices import LOCAL
from core.errors import MirrorError
from core.markdown_table import markdown_table
from core.review import set_review
from core.settings import load_settings
from pages import drafts, review_queue
from pages.charts import plotly_chart
from pages.review_double import blind_action, double_review, double_section
from pages.review_parts import (
    MODEL_STATES,
    generate_streamed,
    open_rationale,
    rationale_block,
    role_tab,
)
from pages.review_plots import PLOTS_OPEN, roles_table, scene_figure, score_table
from pages.review_verdicts import scene_verdicts, verdicts_section
from pages.ui import reviewer, session, show_flash, warm_model
from storage.browse import neighbours
from storage.browse_detail import scene_detail
from storage.constants import APPROVED, PENDING, REJECTED, ROLES, letter
from storage.llm import list_endpoints

st.title("Review")
flt, order, page = filter_from_params(st.query_params.to_dict())
raw_scene = st.query_params.get("scene", "")
scene_id = int(raw_scene) if raw_scene.isdigit() else review_queue.start(flt, order)
if scene_id is None:
    st.info(
        "No scene to review. Build the demo on Overview or load data with `python -m core scenes`; "
        "then pick a scene on Samples."
    )
    st.stop()


def go_to(target: int, here: int) -> None:
    drafts.warn_leaving(here)
    st.query_params.update({**filter_to_params(flt, order, page), "scene": str(target)})


def review_action(status: str, scene: int) -> None:
    """Save the verdict and note against the review version shown when the scene was opened (refused when another
    reviewer saved since: stays refused until a reload or a merge); the note's kept draft goes once saved."""
    slot = drafts.note_slot(scene)
    note = st.session_state.get(slot.widget) or None
    try:
        with session() as s:
            saved = set_review(
                session=s,
                scene_id=scene,
                status=status,
                reviewer=reviewer(),
                note=note,
                expected_version=st.session_state[slot.base].version,
            )
        drafts.saved(slot, version=saved.version, text=note or "")
        st.session_state["review_flash"] = ("success", f"Scene {scene} {status}.")
        review_queue.advance(scene_id=scene, flt=flt, order=order)
    except MirrorError as exc:
        st.session_state["review_flash"] = ("error", str(exc))


with session() as s:
    detail = scene_detail(session=s, scene_id=scene_id)
    prev_id, next_id = neighbours(session=s, scene_id=scene_id, flt=flt, order=order)
    endpoint_names = [LOCAL, *(e.name for e in list_endpoints(session=s))]
if detail is None:
    st.error(f"Scene {scene_id} does not exist. Pick one on Samples.")
    st.stop()

scene = detail.scene
review = detail.review
status = review.status if review else PENDING
review_queue.hold(scene_id=scene.id, pending=status == PENDING, flt=flt, order=order)
show_flash("review_flash")
review_queue.queue_bar(scene_id=scene.id, flt=flt, order=order)
drafts.drafts_list(scene_id=scene.id, link_params=filter_to_params(flt, order, page))

head = st.columns([3, 1, 1, 1, 1])
head[0].subheader(f"Scene {scene.id}")
head[0].caption(f"{escape_markdown(detail.dataset)} · {scene.split} · {scene.choice_cnt} options · status: {status}")
# Callbacks, not `if st.button(...)` + st.rerun(): the move happens before the run, so a click is one run, not two.
head[1].button("Previous", disabled=prev_id is None, shortcut="Left", key="prev_scene", on_click=go_to,
               args=(prev_id, scene.id))  # fmt: skip
head[2].button("Next", disabled=next_id is None, shortcut="Right", key="next_scene", on_click=go_to,
               args=(next_id, scene.id))  # fmt: skip
version = review.version if review else 0  # 0 = "no review yet": a concurrent first review is stale
note = drafts.note_slot(scene.id)
drafts.load(scene.id)
began = drafts.begin(note, version=version, text=(review.note or "") if review else "")
approve = {"type": "primary", "shortcut": "A", "key": "approve"}
double = double_review(scene.id)
act = blind_action if double else review_action  # a double-review scene takes blind verdicts (pages/review_double)
head[3].button("Approve", **approve, on_click=act, args=(APPROVED, scene.id))
head[4].button("Reject", shortcut="X", key="reject", on_click=act, args=(REJECTED, scene.id))
blind = double and double_section(scene.id)
if began.version != version:
    by = escape_markdown(review.reviewer) if review and review.reviewer else "someone"
    st.warning(
        f"The review changed since you opened this scene: now {status} by {by} (version {version}), note: "
        f"{escape_markdown(review.note or '(none)') if review else '(none)'}. Your verdict stays refused until you "
        "reload the scene or keep yours over it."
    )
    fix = st.columns(2)
    fix[0].button("Reload the review", key="review_reload", on_click=drafts.forget, args=(note,))
    theirs = {"version": version, "text": (review.note or "") if review else ""}
    fix[1].button("Keep my verdict and note over it", key="review_merge", on_click=drafts.merge, args=(note,),
                  kwargs=theirs)  # fmt: skip
note_col, back_col = st.columns([5, 1])
note_col.text_input("Review note", key=note.widget, on_change=drafts.keep, args=(note,))
if back_col.button("Back to the list", key="back_to_samples"):
    drafts.warn_leaving(scene.id)
    st.switch_page("samples.py", query_params=filter_to_params(flt, order, page))
who = f" · last review by {escape_markdown(review.reviewer)}" if review and review.reviewer else ""
st.caption(
    f"Shortcuts: A approve · X reject · ← previous · → next (within the Samples filter) · Ctrl+Enter saves an edit{who}"
)

left, right = st.columns(2)
with left:
    st.markdown("**Profile**")
    st.text(scene.profile)
    st.markdown("**History** (oldest first)")
    st.text("\n".join(f"{k + 1}. {entry}" for k, entry in enumerate(scene.history or [])) or "(none)")
with right:
    st.markdown("**Exposure** (true option marked)")
    sources = scene.option_sources or [""] * len(scene.options)
    exposure = [
        {"letter": letter(k), "true": "✓" if k == scene.item_pos else "", "option": option, "source": source}
        for k, (option, source) in enumerate(zip(scene.options, sources, strict=True))
    ]  # a markdown table (escaped): a st.dataframe would make a fresh tab load the data-grid chunk, ~0.5 s here
    st.markdown(markdown_table(exposure, ["letter", "true", "option", "source"]))

by_id = {r["rationale"].id: r for r in detail.rationales}
if detail.pairs:
    pair = detail.pairs[0]
    st.markdown(f"**Chosen / rejected pair** (selection {escape_markdown(pair['selection'])})")
    pc, pr = st.columns(2)
    for column, kind in ((pc, "chosen"), (pr, "rejected")):
        item = by_id.get(pair[kind])
        with column:
            st.caption(kind)
            st.text(item["rationale"].text if item else "(missing)")

scores_col, probs_col = st.columns(2)
if detail.score:
    with session() as s:
        scores_col.markdown("**Scores** (percentile among the dataset's scored scenes)")
        scores_col.markdown(score_table(session=s, dataset_id=scene.dataset_id, score=detail.score))
else:
    scores_col.caption("No score yet: it needs predictions for both roles, then `python -m core score`.")
if table := roles_table(detail.rationales, item_pos=scene.item_pos):
    probs_col.markdown(f"**Predictions** (the true option is {letter(scene.item_pos)})")
    probs_col.markdown(table)
# The figure is drawn only while its expander is open (it stays open from scene to scene): pages/review_plots.py says
# what it costs the browser on every move.
plots = st.expander("Plots: this scene over the dataset's scores; each rationale's distribution", key=PLOTS_OPEN,
                    on_change="rerun")  # fmt: skip
if plots.open:
    with session() as s:
        fig = scene_figure(session=s, dataset_id=scene.dataset_id, score=detail.score, rationales=detail.rationales,
                           item_pos=scene.item_pos)  # fmt: skip
    with plots:
        if fig is None:
            st.caption("Nothing to plot yet: this scene has neither a score nor a predicted rationale.")
        else:
            st.caption(
                f"Scores over the dataset with this scene marked; each rationale's predicted distribution (a row per "
                f"rationale, darker = likelier), true option {letter(scene.item_pos)} outlined, the sampled behaviour "
                "a dot"
            )
            plotly_chart(fig, key="scene_fig")

verdicts, human = scene_verdicts(scene.id)
drafts.open_drafted(scene.id, open_rationale)  # a scene shown again opens the rationales with a kept draft
# Only the open tab's panels run (each closed panel still costs the browser a redraw on every scene): a reviewer reads
# one role at a time, and the figure above shows both roles' distributions.
tabs = role_tab(ROLES)
for tab, role in zip(tabs, ROLES, strict=True):
    if not tab.open:
        continue
    with tab:
        items = [r for r in detail.rationales if r["rationale"].role == role]
        if not items:
            st.caption(f"No {role} rationales for this scene yet.")
        for item in items:
            rid = item["rationale"].id
            rationale_block(
                item,
                scene=scene,
                endpoints=endpoint_names,
                verdicts=verdicts.get(rid, []),
                blind=blind,
                draft=drafts.has_draft(drafts.edit_slot(rid, scene.id)),
            )

computed = detail.pairs[0] if detail.pairs else None
verdicts_section(
    scene_id=scene.id, rationales=detail.rationales, computed=computed, verdicts=verdicts, human=human, blind=blind
)

model = warm_model()
if st.session_state.get("gen_endpoint", LOCAL) == LOCAL and load_settings().warm_model:
    model.start()  # in the background: warm by the time the user asks
generate = st.expander("Generate a new rationale for this scene", key="gen_open", on_change="rerun")
if generate.open:  # its widgets run only while it is open
    with generate:
        gen = st.columns(3)
        name = gen[0].selectbox("Endpoint", endpoint_names, key="gen_endpoint")
        role = gen[1].radio("Role", list(ROLES), horizontal=True, key="gen_role")
        if name == LOCAL:
            st.caption(f"Embedded model: {MODEL_STATES[model.state]}")
        if gen[2].button("Generate", key="generate"):
            generate_streamed(scene_id=scene.id, role=role, name=name, model=model)
