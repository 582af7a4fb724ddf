"""Scene rows of the usermirrorer files: the scene JSONL shape and the DPO shape (scene text inside the prompt)."""

import hashlib
from dataclasses import dataclass

from core.errors import BadInput
from core.importers.um_files import unix_seconds
from core.reference_prompts import DEFAULT_SYSTEM, USER_MESSAGE
from storage.constants import LETTERS, PROMPT_STYLES, REFERENCE


def _between(start: str | None, end: str | None) -> str:
    """The literal text of USER_MESSAGE between two of its fields (None = its start or end)."""
    lo = USER_MESSAGE.index(start) + len(start) if start else 0
    return USER_MESSAGE[lo : USER_MESSAGE.index(end) if end else len(USER_MESSAGE)]


# The literal parts of the reference's user turn around its three fields.
_PROFILE = _between(None, "{profile}")
_HISTORY = _between("{profile}", "{history}")
_EXPOSURE = _between("{history}", "{action_list}")
_END = _between("{action_list}", None)


@dataclass
class SceneRow:
    """One scene as read from a file; ids are the file's external ids."""

    user: str
    item: str
    timestamp: int
    item_pos: int
    options: list[str]
    profile: str
    history: list[str]
    impressions: list[str] | None
    source_dataset: str | None
    source_timestamp: int | None = None  # the file's epoch number as given (often milliseconds), exported back
    system: str | None = None  # the file's own system message, when it is not the reference's default_system
    style: str = REFERENCE  # our eval export names the style of each scene; the reference's files are reference


def _field(obj: dict, key: str, where: str):
    if key not in obj or obj[key] is None:
        raise BadInput(f"{where}: missing field {key!r}")
    return obj[key]


def _id(obj: dict, key: str, where: str) -> str:
    """An id as text: a string or a whole number (never a list, an object, a boolean or a float)."""
    value = _field(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadInput(f"{where}: {key!r} must be a text or a number, got {type(value).__name__}")
    return str(value)


def _text(value, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise BadInput(f"{where}: {key!r} must be text, got {type(value).__name__}")
    return value


def _history(value, where: str) -> list[str]:
    """The reference renders history as one text; keep its lines so joining them with newlines gives it back."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return _text(value, "text.history", where).split("\n")


def _item_pos(value, n: int, where: str) -> int:
    if isinstance(value, str) and len(value) == 1 and value.upper() in LETTERS:
        value = LETTERS.index(value.upper())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < n:
        raise BadInput(f"{where}: item_pos {value!r} is not an option index 0..{n - 1} (0-based, A = 0)")
    return value


def _impressions(obj: dict, n: int, where: str) -> list[str] | None:
    value = obj.get("impression_list")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n:
        raise BadInput(f"{where}: impression_list must list the {n} option ids")
    return [str(v) for v in value]


def epoch_as_given(value) -> int | None:
    """An epoch number exactly as the file wrote it (an integral number or digit text), None for ISO 8601 text."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    return None


def _source(obj: dict) -> str | None:
    value = obj.get("dataset")
    return str(value) if value is not None else None


def scene_row(obj: dict, where: str) -> SceneRow:
    """A scene line: text {profile, history, action_list}, user_id, item_id, timestamp, item_pos, choice_cnt."""
    text = _field(obj, "text", where)
    if not isinstance(text, dict):
        raise BadInput(f"{where}: 'text' must be an object with profile, history and action_list")
    options = _field(text, "action_list", where)
    if not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
        raise BadInput(f"{where}: 'text.action_list' must be a non-empty list of option texts")
    n = len(options)
    if n > len(LETTERS):
        raise BadInput(f"{where}: {n} options; at most {len(LETTERS)} (letters A-Z)")
    cnt = obj.get("choice_cnt", n)
    if cnt != n:
        raise BadInput(f"{where}: choice_cnt {cnt!r} but action_list has {n} options")
    return SceneRow(
        user=_id(obj, "user_id", where),
        item=_id(obj, "item_id", where),
        timestamp=unix_seconds(_field(obj, "timestamp", where), where),
        source_timestamp=epoch_as_given(obj["timestamp"]),
        item_pos=_item_pos(_field(obj, "item_pos", where), n, where),
        options=options,
        profile=_text(_field(text, "profile", where), "text.profile", where),
        history=_history(_field(text, "history", where), where),
        impressions=_impressions(obj, n, where),
        source_dataset=_source(obj),
        style=_style(obj, where),
    )


def _style(obj: dict, where: str) -> str:
    value = obj.get("prompt_style", REFERENCE)
    if value not in PROMPT_STYLES:
        raise BadInput(f"{where}: unknown prompt_style {value!r}; use one of: {', '.join(PROMPT_STYLES)}")
    return value


def split_options(action_list: str, where: str) -> list[str]:
    """'[A] first\\n[B] second' -> option texts; an option may span lines."""
    if not action_list.startswith("[A] "):
        raise BadInput(f"{where}: exposure list does not start with '[A] '")
    options, rest = [], action_list[4:]
    for letter in LETTERS[1:]:
        cut = rest.find(f"\n[{letter}] ")
        if cut < 0:
            break
        options.append(rest[:cut])
        rest = rest[cut + 5 :]
    options.append(rest)
    return options


def prompt_scene(user_turn: str, where: str) -> tuple[str, list[str], list[str]]:
    """(profile, history lines, options) from the reference prompt's user turn, losslessly: rendering them again
    (core.reference_prompts.user_turn) gives the same text back."""
    h, e = user_turn.find(_HISTORY), user_turn.rfind(_EXPOSURE)
    if not user_turn.startswith(_PROFILE) or h < 0 or e < h or not user_turn.endswith(_END):
        raise BadInput(f"{where}: user message is not the reference prompt (# User Profile / ## History / # Exposure)")
    profile = user_turn[len(_PROFILE) : h]
    history = user_turn[h + len(_HISTORY) : e].split("\n")
    return profile, history, split_options(user_turn[e + len(_EXPOSURE) : len(user_turn) - len(_END)], where)


def _turns(obj: dict, key: str, where: str) -> tuple[str, str, str | None]:
    """(user content, assistant content, system content or None) of a messages list."""
    messages = _field(obj, key, where)
    by_role = {}
    if isinstance(messages, list):
        by_role = {m.get("role"): m.get("content") for m in messages if isinstance(m, dict)}
    user, assistant = by_role.get("user"), by_role.get("assistant")
    if not isinstance(user, str) or not isinstance(assistant, str):
        raise BadInput(f"{where}: {key!r} must hold a user and an assistant message")
    system = by_role.get("system")
    return user, assistant, system if isinstance(system, str) else None


def dpo_row(obj: dict, where: str) -> tuple[SceneRow, str, str]:
    """A DPO line -> (scene, chosen text, rejected text); item_pos falls back to behavior_chosen (_pref.jsonl)."""
    user_turn, chosen, system = _turns(obj, "messages_chosen", where)
    _, rejected, _ = _turns(obj, "messages_rejected", where)
    profile, history, options = prompt_scene(user_turn, where)
    n = len(options)
    pos = obj.get("item_pos", obj.get("behavior_chosen"))
    if pos is None:
        raise BadInput(f"{where}: missing field 'item_pos'")
    impressions = _impressions(obj, n, where)
    scene = SceneRow(
        user=_id(obj, "user_id", where),
        item=_id(obj, "item_id", where),
        timestamp=unix_seconds(_field(obj, "timestamp", where), where),
        source_timestamp=epoch_as_given(obj["timestamp"]),
        item_pos=_item_pos(pos, n, where),
        options=options,
        profile=profile,
        history=history,
        impressions=impressions,
        source_dataset=_source(obj),
        system=None if system == DEFAULT_SYSTEM else system,
    )
    return scene, chosen, rejected


class Repeats:
    """Refuses a line that repeats an earlier scene of the same file (same ids, time, options and texts): it would
    become a second scene of one decision. Keeps a 16-byte digest per line."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.first: dict[bytes, int] = {}

    def check(self, row: SceneRow, lineno: int, *texts: str) -> None:
        fields = [row.source_dataset or "", row.user, row.item, str(row.timestamp), str(row.item_pos), row.profile]
        digest = hashlib.blake2b("\x1f".join([*fields, *row.history, "\x1e", *row.options, "\x1e", *texts]).encode(
            "utf-8", "surrogatepass"), digest_size=16).digest()  # fmt: skip
        first = self.first.setdefault(digest, lineno)
        if first != lineno:
            raise BadInput(
                f"{self.rel}, line {lineno}: repeats line {first} (the same scene); remove the duplicate line"
            )
