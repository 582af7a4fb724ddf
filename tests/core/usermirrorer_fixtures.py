"""Fixture writers for the usermirrorer import tests: reference working directories and public files."""

import json
from pathlib import Path

import numpy as np

from storage import status as db
from storage.constants import LETTERS

NAME = "ml-1m"


SYSTEM = "You are a sophisticated user behavior emulator."


# 4 train scenes: (user, item, item_pos, n options); custom_id rows are 0-based row indexes of the train file.
SCENES = [("u1", "i10", 0, 3), ("u2", "i20", 2, 4), ("u1", "i30", 1, 2), ("u3", "i40", 3, 5)]


def decision(letter: str | None, k: int = 0) -> str:
    text = (
        f"Thought:\nStimulus: I am bored tonight ({k}).\nStimulus Factors: Boredom\n"
        "Knowledge: The comedy matches the films I liked.\nKnowledge Factors: Personal Relevance, Past Experience\n"
        "Evaluation: It fits my mood.\nEvaluation Style: Intuitive"
    )
    return text + (f"\nBehavior: [{letter}]" if letter else "")


def scene_line(user, item, pos, n, ts=978300760):
    options = [f"Movie {item}-{j}: a film\nGenres: Comedy" for j in range(n)]
    text = {
        "profile": f"Gender: M, age 25-34 ({user})",
        "history": "Toy Story (1995)\nHeat (1995)",
        "action_list": options,
    }
    return {
        "text": text,
        "user_id": user,
        "item_id": item,
        "timestamp": ts * 1000,
        "item_pos": pos,
        "choice_cnt": n,
        "dataset": NAME,
    }


def batch_line(row: int, texts: list[str]) -> dict:
    choices = [
        {"index": k, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
        for k, t in enumerate(texts)
    ]
    body = {"id": f"chatcmpl-{row}", "object": "chat.completion", "model": "Qwen2.5-14B", "choices": choices}
    return {
        "id": f"batch_req_{row}",
        "custom_id": f"{NAME}-{row}",
        "response": {"status_code": 200, "body": body},
        "error": None,
    }


def distribution(row: int, k: int, n: int, role: str) -> dict:
    rng = np.random.default_rng(row * 100 + k + (50 if role == "weak" else 0))
    p = rng.dirichlet(np.ones(n))
    return {LETTERS[j]: float(p[j]) for j in range(n)}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def write_workdir(root: Path, k: int = 3) -> dict:
    """Train/eval scenes, decisions and probs of both roles; returns the raw probability dicts by (role, row)."""
    write_jsonl(root / "datasets" / f"{NAME}_train.jsonl", [scene_line(*s) for s in SCENES])
    write_jsonl(root / "datasets" / f"{NAME}_eval.jsonl", [scene_line("u9", "i90", 1, 3)])
    dists = {}
    for role in ("strong", "weak"):
        lines, probs = [], []
        for row, (user, item, _pos, n) in enumerate(SCENES):
            texts = [decision(LETTERS[(row + j) % n], j) for j in range(k)]
            if role == "strong" and row == 1:
                texts[2] = decision(None, 2)  # no Behavior line
            lines.append(batch_line(row, texts))
            d = [distribution(row, j, n, role) for j in range(k)]
            if role == "weak" and row == 3:
                del d[1]["C"]  # a dict missing a letter
            dists[(role, row)] = d
            probs.append(
                {
                    "user_id": user,
                    "item_id": item,
                    "decision_list": [t.split("Behavior:")[0].strip() for t in texts],
                    "choice": d,
                }
            )
        lines.reverse()  # batch output order is not row order
        if role == "strong":
            lines.append(batch_line(99, [decision("A")]))  # custom_id matching no scene
        write_jsonl(root / "decisions" / f"{NAME}_decisions_{role}.jsonl", lines)
        write_jsonl(root / "probs" / f"{NAME}_probs_{role}.jsonl", probs)
    return dists


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return db.table_counts(conn=conn)


def expected_probs(raw: dict, n: int) -> np.ndarray:
    p = np.array([raw.get(LETTERS[j], 1e-10) for j in range(n)], dtype=np.float64)
    p = np.maximum(p, 1e-10)
    return p / p.sum()


def entropy(p: np.ndarray) -> float:
    return float(-(p * np.log2(p)).sum())


def _break(root: Path, rel: str, line: int, change) -> None:
    path = root / rel
    lines = path.read_text().splitlines()
    lines[line - 1] = change(lines[line - 1])
    path.write_text("\n".join(lines) + "\n")


def _edit(key, value):
    def change(text):
        obj = json.loads(text)
        obj[key] = value
        return json.dumps(obj)

    return change


TRAIN, EVAL = "datasets/ml-1m_train.jsonl", "datasets/ml-1m_eval.jsonl"


DEC_S, DEC_W = "decisions/ml-1m_decisions_strong.jsonl", "decisions/ml-1m_decisions_weak.jsonl"


PROB_S, PROB_W = "probs/ml-1m_probs_strong.jsonl", "probs/ml-1m_probs_weak.jsonl"


def hf_user_turn(n: int) -> str:
    options = "\n".join(f"[{LETTERS[j]}] News {j}\nCategory: sports" for j in range(n))
    return f"# User Profile\nA reader from Seattle.\n\n## History\nRead: A\nRead: B\n\n# Exposure List\n{options}\n"


def write_hf(root: Path) -> None:
    ev = scene_line("U5", "N7", 1, 2)
    ev.update(dataset="MIND", timestamp="2019-11-14T08:00:00", impression_list=["N6", "N7"])
    write_jsonl(root / "UserMirrorer-eval.jsonl", [ev])
    rows = []
    for j, (pos, n) in enumerate([(2, 3), (0, 2)]):
        user = {"role": "user", "content": hf_user_turn(n)}
        chosen = [{"role": "system", "content": SYSTEM}, user, {"role": "assistant", "content": decision(LETTERS[pos])}]
        rejected = [{"role": "system", "content": SYSTEM}, user, {"role": "assistant", "content": decision("B")}]
        rows.append(
            {
                "dataset": "MIND",
                "user_id": f"U{j}",
                "item_id": f"N{j}",
                "timestamp": 1573718400000,
                "messages_chosen": chosen,
                "messages_rejected": rejected,
                "impression_list": [f"N{j}x{m}" if m != pos else f"N{j}" for m in range(n)],
                "item_pos": pos,
            }
        )
    write_jsonl(root / "UserMirrorer.jsonl", rows)
