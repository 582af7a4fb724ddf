"""Files the reference's own scripts read: the eval row `text` its run_eval turns into exactly the messages sent here.

The reference's template functions are reimplemented below from their documented behaviour (its
generator/template.py), not imported: `convert_action_list(text)` keeps `history` and `profile` as they are and turns
the `action_list` list into one string of "[A] ..." lines; `texts_to_messages(info, system, assistant_prefix,
assistant_message)` is a system turn (the decision-process prompt, or the direct one), the user turn formatted from
info, and, when asked, an assistant turn holding the prefix.
"""

import json

from sqlmodel import Session

from core.evaluation.runs import evaluate
from core.export import export
from core.predict import predict
from core.rationales import generate_rationales
from core.reference_prompts import DEFAULT_SYSTEM, DIRECT_SYSTEM
from storage.models import Endpoint, Scene
from tests.factories import make_dataset, make_rationale, make_scene
from tests.fault_server import fault_server  # noqa: F401  (fixture)

USER_MESSAGE = "# User Profile\n{profile}\n\n## History\n{history}\n\n# Exposure List\n{action_list}\n"
HISTORY = ["The Matrix (1999) - Action|Sci-Fi (viewed 3 days ago)", "Heat (1995) - Action|Crime (viewed 2 days ago)"]


def convert_action_list(text: dict) -> dict:
    letters = "\n".join(f"[{chr(65 + i)}] {action}" for i, action in enumerate(text["action_list"]))
    return {"history": text["history"], "action_list": letters, "profile": text["profile"]}


def texts_to_messages(info: dict, system="default", assistant_prefix="Thought:", assistant_message=False) -> list:
    system = DEFAULT_SYSTEM if system == "default" else DIRECT_SYSTEM
    turns = [{"role": "system", "content": system}, {"role": "user", "content": USER_MESSAGE.format(**info)}]
    return turns + ([{"role": "assistant", "content": assistant_prefix}] if assistant_message else [])


def _eval_scene(session):
    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=3, item_pos=2, split="eval", profile="Age 25.\nA student.")
    row = session.get(Scene, scene.id)
    row.history = HISTORY
    row.options = ["Jumanji (1995) - Adventure ", "[New Release]Casino (1995) - Drama ", "Toy Story (1995) - Comedy"]
    session.add(row)
    session.commit()
    return scene


def test_the_eval_rows_text_is_what_the_reference_turns_into_the_messages_sent(session, engine, fault_server, tmp_path):  # noqa: F811
    scene = _eval_scene(session)
    endpoint = Endpoint(name="vllm", base_url=fault_server.url, model="m", kind="vllm", retries=0)
    session.add(endpoint)
    session.commit()
    export(engine=engine, fmt="eval", out=tmp_path / "eval.jsonl")
    (row,) = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert row["text"]["history"] == "\n".join(HISTORY) and isinstance(row["text"]["action_list"], list)
    info = convert_action_list(row["text"])

    generate_rationales(engine=engine, role="strong", endpoint="vllm", n=1, split="eval")
    evaluate(engine=engine, endpoint="vllm", mode="direct", repeat=1)
    evaluate(engine=engine, endpoint="vllm", mode="thought", repeat=1, max_tokens=16)
    with Session(engine) as s:  # predict the rationale the fault server wrote, on the eval split
        make_rationale(s, scene=s.get(Scene, scene.id), role="weak", sample_index=0, text="I pick.\nBehavior: [C]")
    predict(engine=engine, role="weak", endpoint="vllm", split="eval")
    sent = [body["messages"] for path, body in fault_server.received if path.endswith("/chat/completions")]
    rationale, direct, thought, letter, predicted = sent
    assert rationale == texts_to_messages(info)  # gen_decisions: the default system, no assistant turn
    assert direct == texts_to_messages(info, system="direct", assistant_prefix="Behavior: [", assistant_message=True)
    assert thought == texts_to_messages(info, assistant_prefix="Thought:\nStimulus:", assistant_message=True)
    assert letter[:2] == predicted[:2] == texts_to_messages(info)
    assert predicted[2] == {"role": "assistant", "content": "I pick.\nBehavior: ["}


def test_reference_pairs_round_trip_through_import_and_export_with_their_original_text(engine, tmp_path):
    from core.importers import import_usermirrorer
    from tests.core.usermirrorer_fixtures import write_hf

    write_hf(tmp_path)
    import_usermirrorer(engine=engine, name="um", path=tmp_path)
    export(engine=engine, fmt="dpo", out=tmp_path / "dpo.jsonl", selection="um-reference", status="any")
    original = [json.loads(line) for line in (tmp_path / "UserMirrorer.jsonl").read_text().splitlines()]
    exported = [json.loads(line) for line in (tmp_path / "dpo.jsonl").read_text().splitlines()]
    same = ("dataset", "user_id", "item_id", "timestamp", "messages_chosen", "messages_rejected", "impression_list")
    same += ("item_pos",)  # the source dataset and the epoch milliseconds as written, not the import's name/seconds
    assert [{k: row[k] for k in same} for row in exported] == [{k: row[k] for k in same} for row in original]
