"""The Engel-Kollat-Blackwell factor vocabularies and evaluation styles (DESIGN.md §3), as data."""

import re
from functools import lru_cache

# What starts the need: the user's internal states, then cues from outside.
INTERNAL_STATES: tuple[str, ...] = (
    "boredom",
    "hunger",
    "thirst",
    "fatigue/restlessness",
    "emotional state",
    "curiosity",
    "need for achievement",
    "inspiration",
)
EXTERNAL_CUES: tuple[str, ...] = (
    "time of day",
    "day of week",
    "weather",
    "location",
    "social factors",
    "special occasion",
    "notification",
    "advertising",
    "financial situation",
    "availability",
)
STIMULUS_FACTORS: tuple[str, ...] = INTERNAL_STATES + EXTERNAL_CUES

# What the user notices in the options: attributes, how the information reaches them, what they already know.
PRODUCT_ATTRIBUTES: tuple[str, ...] = (
    "price",
    "quality",
    "features",
    "convenience",
    "novelty",
    "brand reputation",
    "personal relevance",
    "emotional appeal",
    "time commitment",
    "risk",
)
INFORMATION_SOURCES: tuple[str, ...] = (
    "visual presentation",
    "recommendation source",
    "review content/sentiment",
    "rating score/distribution",
    "social proof",
)
PRIOR_KNOWLEDGE: tuple[str, ...] = ("past experience", "preferences/history")
KNOWLEDGE_FACTORS: tuple[str, ...] = PRODUCT_ATTRIBUTES + INFORMATION_SOURCES + PRIOR_KNOWLEDGE

EVALUATION_STYLES: tuple[str, ...] = ("logical", "intuitive", "impulsive", "habitual")

STIMULUS_RANGE = (1, 3)
KNOWLEDGE_RANGE = (2, 4)


_SPACES_RE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACES_RE.sub(" ", text.strip().lower())


def _aliases(names: tuple[str, ...]) -> dict[str, str]:
    """Each name and each '/'-separated half of it (e.g. 'fatigue') map to the canonical name."""
    table: dict[str, str] = {}
    for name in names:
        table[name] = name
        table[name.replace("/", " / ")] = name
        for part in name.split("/"):
            table.setdefault(_key(part), name)
    return table


_STIMULUS = _aliases(STIMULUS_FACTORS)
# The reference prompt names the last knowledge factor "User Preferences/History".
_KNOWLEDGE = _aliases(KNOWLEDGE_FACTORS) | {
    "user preferences/history": "preferences/history",
    "user preferences / history": "preferences/history",
    "user preferences": "preferences/history",
}
_STYLES = {name: name for name in EVALUATION_STYLES}


@lru_cache(maxsize=4096)
def canonical_stimulus(text: str) -> str | None:
    """The vocabulary name a written stimulus factor stands for, or None when it is outside the vocabulary."""
    return _STIMULUS.get(_key(text))


@lru_cache(maxsize=4096)
def canonical_knowledge(text: str) -> str | None:
    """The vocabulary name a written knowledge factor stands for, or None when it is outside the vocabulary."""
    return _KNOWLEDGE.get(_key(text))


@lru_cache(maxsize=4096)
def canonical_style(text: str) -> str | None:
    """The evaluation style a written style stands for, or None when it is not one of the four."""
    return _STYLES.get(_key(text))
