"""The reference code's prompts (UserMirrorer, usermirrorer/generator/template.py, MIT), as data.

The texts below are the reference's `default_system`, `direct_system` and `user_message`, byte for byte (tests pin
them); the functions reimplement its `enumerate_action_list` / `convert_action_list` / `texts_to_messages` so a
scene stored here (profile text, history entries, option texts) renders into exactly the messages the reference
sends. Which style a scene uses, and the messages for each purpose, live in core/scene_prompts.py.
"""

# ruff: noqa: E501

from storage.constants import letter

# The reference's `default_system`: the EKB decision-process prompt (rationales, prediction, "thought" evaluation).
DEFAULT_SYSTEM = """You are a sophisticated user behavior emulator, tasked with simulating user responses within a general recommendation context. Given a user profile and an exposure list, generate a detailed, first-person thought and the user behavior. Your simulations should be adapted for diverse recommendation domains such as media, businesses, and e-commerce.

**Structure and Content:**

Your output includes a thought and a behavior. The thought should be structured as a logical progression through the following stages:

- **Stimulus:** [Describe the initial motivation or need that initiates the user's thought process. This should connect to their profile's spatial, temporal, thematic preferences, causal, and social factors.]
    *   **Stimulus Factors:** [List 1-3 most relevant factors from: Internal States (Boredom, Hunger, Thirst, Fatigue/Restlessness, Emotional State, Curiosity, Need for Achievement, Inspiration), External Cues (Time of Day, Day of Week, Weather, Location, Social Factors, Special Occasion, Notification, Advertising, Financial Situation, Availability)]
- **Knowledge:** [Describe the user's thought process as they gain knowledge from the exposure list.  Highlight specific attributes of the options that resonate with the user's preferences, drawing on the user profile.]
    *   **Knowledge Factors:** [List 2-4 most influential factors from: Product/Service Attributes (Price, Quality, Features, Convenience, Novelty, Brand Reputation, Personal Relevance (Functional, Thematic, Identity-Based), Emotional Appeal, Time Commitment, Risk), Information Source & Presentation (Visual Presentation, Recommendation Source, Review Content/Sentiment, Rating Score/Distribution, Social Proof), User's Prior Knowledge (Past Experience, User Preferences/History)]
-  **Evaluation:** [Explain the user's internal justification for their preference.]
    *   **Evaluation Style:** [Specify 1 style of the evaluation process, such as Logical, Intuitive, Impulsive, Habitual]

After generating the thought, choose a behavior in the given exposure list. Each choice in the exposure list is indicated by a alphabetic identifier [A], [B], [C], etc. Your output should be a choice identifier from the exposure list, for example, "Behavior: [G]".

**Constraints:**
*   While multiple behaviors might be considered in the early stages, the final decision should align with a **single** behavior.
*   Use "I" to reflect the first-person perspective of the user.

**Output Format:**
```
Thought:
Stimulus: [STIMULUS DESCRIPTION]
Stimulus Factors: [FACTOR 1], [FACTOR 2]
Knowledge: [KNOWLEDGE DESCRIPTION]
Knowledge Factors: [FACTOR 1], [FACTOR 2], [FACTOR 3]
Evaluation: [EVALUATION DESCRIPTION]
Evaluation Style: [EVALUATION STYLE]
Behavior: [BEHAVIOR]
```
"""

# The reference's `direct_system`: the "direct" evaluation mode (a letter without a decision process).
DIRECT_SYSTEM = """You are a sophisticated user behavior emulator. Given a user profile and an exposure list, generate a user behavior in the given exposure list.
"""

# The reference's `user_message`: the user turn (profile, history, lettered exposure list).
USER_MESSAGE = """# User Profile
{profile}

## History
{history}

# Exposure List
{action_list}
"""

# The assistant prefixes the reference continues (vLLM continue_final_message): run_eval's "thought" mode starts the
# decision process, its "direct" mode and behavior_pred.py ask for the letter right away.
THOUGHT_PREFIX = "Thought:\nStimulus:"
BEHAVIOR_PREFIX = "Behavior: ["

# The labels of the reference's output format (the `Output Format` block of DEFAULT_SYSTEM), in order.
HEADER = "Thought:"
LABELS = {
    "stimulus": "Stimulus:",
    "stimulus_factors": "Stimulus Factors:",
    "knowledge": "Knowledge:",
    "knowledge_factors": "Knowledge Factors:",
    "evaluation": "Evaluation:",
    "style": "Evaluation Style:",
}
# The factor and style names as DEFAULT_SYSTEM spells them (core/vocabulary.py maps each to its canonical name).
STIMULUS_FACTORS = (
    "Boredom", "Hunger", "Thirst", "Fatigue/Restlessness", "Emotional State", "Curiosity", "Need for Achievement",
    "Inspiration", "Time of Day", "Day of Week", "Weather", "Location", "Social Factors", "Special Occasion",
    "Notification", "Advertising", "Financial Situation", "Availability",
)  # fmt: skip
KNOWLEDGE_FACTORS = (
    "Price", "Quality", "Features", "Convenience", "Novelty", "Brand Reputation", "Personal Relevance",
    "Emotional Appeal", "Time Commitment", "Risk", "Visual Presentation", "Recommendation Source",
    "Review Content/Sentiment", "Rating Score/Distribution", "Social Proof", "Past Experience",
    "User Preferences/History",
)  # fmt: skip
EVALUATION_STYLES = ("Logical", "Intuitive", "Impulsive", "Habitual")


def enumerate_options(options: list[str]) -> str:
    """The lettered exposure list: '[A] first' and '[B] second' joined by newlines (enumerate_action_list)."""
    return "\n".join(f"[{letter(k)}] {text}" for k, text in enumerate(options))


def text_fields(*, profile: str, history: list[str], options: list[str]) -> dict:
    """A scene as the reference's files hold it (the `text` of its scene JSONL): history as one newline-joined
    string, action_list as the list of option texts, profile as a string."""
    return {"profile": profile, "history": "\n".join(history), "action_list": list(options)}


def user_turn(*, profile: str, history: list[str], options: list[str]) -> str:
    """The user message the reference sends for a scene: texts_to_messages(convert_action_list(text_fields(...)))."""
    return USER_MESSAGE.format(profile=profile, history="\n".join(history), action_list=enumerate_options(options))


def decision(text: str) -> str:
    """A generated answer's decision process as the reference keeps it: everything before the first "Behavior:",
    stripped (behavior_pred.get_decision_list)."""
    return text.split("Behavior:")[0].strip()


def answer(decision_text: str, letter: str) -> str:
    """The assistant turn of a training row: the decision, then `Behavior: [X]` (data_filtering's final dataset)."""
    return f"{decision_text}\nBehavior: [{letter}]"


def prediction_prefix(decision_text: str) -> str:
    """The assistant turn the predictor continues with one letter (behavior_pred.pred_with_decision_list)."""
    return f"{decision_text}\n{BEHAVIOR_PREFIX}"
