"""Option domains and defaults of the pipeline stages, shared by the stages and their front ends (CLI, pages).

Each is defined once here, and the stage modules import it from here. Standard library only: the CLI builds its
parser (choices, defaults, help) without importing a stage, so `python -m core --help` loads no pandas, openai or
scikit-learn. Roles, splits, statuses, letters and score columns are in storage/constants.py (storage needs them).
"""

from storage.constants import ANY, APPROVED, PENDING, SPLITS, VERDICTS

# `ingest --format`: the unified form and the public layouts with an adapter (core/ingest/).
INGEST_FORMATS: tuple[str, ...] = ("unified", "movielens", "movietweetings", "amazon", "mind", "goodbooks")
# Candidate scorers of scene construction (core/scenes/scorers.py), in their default order.
SCORERS: tuple[str, ...] = ("random", "popularity", "collaborative", "content")
# `scenes --position`: where the true item goes among a sampled exposure's negatives (core/scenes/exposure.py).
# uniform = any of the L places (the default: the truth's letter carries no information); reference = the
# reference's add_gt_to_impression, randint(0, L-2): never last, and with 2 options always [A].
POSITIONS: tuple[str, ...] = ("uniform", "reference")
# `scenes --preset paper`: the reference's eval sets (its scene_sampling.py --eval_set: 256 scenes, here exactly 5
# options, its max_exposure_length) and the context its run_eval keeps prompts under (core/scenes/prompt_length.py).
SCENE_PRESETS: dict[str, dict] = {
    "paper": {"split": "eval", "count": 256, "min_exposure": 5, "max_exposure": 5, "max_prompt_tokens": 6144}
}

# `export --format`, `--status`, `--split` (core/export.py).
EXPORT_FORMATS: tuple[str, ...] = ("dpo", "sft", "eval", "scores", "evalresults")
EXPORT_STATUSES: tuple[str, ...] = (*VERDICTS, PENDING, ANY)
EXPORT_SPLITS: tuple[str, ...] = (*SPLITS, ANY)
DEFAULT_EXPORT_STATUS = APPROVED
# `export --pairs`: the selection's chosen/rejected pairs (a reviewer's pair over the computed one), or every edited
# rationale as a pair (chosen = the human edit, rejected = the model's original; core/export_edits.py).
SELECTION_PAIRS, EDIT_PAIRS = "selection", "edits"
EXPORT_PAIRS: tuple[str, ...] = (SELECTION_PAIRS, EDIT_PAIRS)

# The built-in endpoint: the embedded llama.cpp server, started on demand (core/llm/endpoints.py).
LOCAL = "local"
LOCAL_MODEL = "SmolLM2-135M-Instruct"
# llama.cpp's server decodes one request at a time; a second in flight keeps it busy between replies.
LOCAL_CONCURRENCY = 2

# `rationales/predict --split` (core/rationales.py): train by default, so eval scenes get no training rationales.
STAGE_SPLITS: tuple[str, ...] = (*SPLITS, ANY)
# `rationales --constrain`: decode freely, or constrained to the decision-process format (core/format_grammar.py).
CONSTRAIN_NONE, CONSTRAIN_FORMAT = "none", "format"
CONSTRAINTS: tuple[str, ...] = (CONSTRAIN_NONE, CONSTRAIN_FORMAT)

# `endpoints add --kind`: what server an endpoint is, which decides how prediction is conditioned
# (core/conditioning.py): openai = any OpenAI-compatible chat API, vllm = vLLM, llamacpp = llama.cpp's llama-server.
ENDPOINT_KINDS: tuple[str, ...] = ("openai", "vllm", "llamacpp")

# Answers sampled per rationale when an endpoint gives no logprobs (core/predict.py).
PREDICT_SAMPLES = 8
# `evaluate` (core/evaluation/): the LLM modes of the reference's run_eval.py, the non-LLM baselines, the defaults
# (3 repeats and 1,024-token thoughts, as the reference).
EVAL_MODES: tuple[str, ...] = ("direct", "thought")
EVAL_BASELINES: tuple[str, ...] = ("random", "popularity", "position")
EVAL_REPEAT = 3
THOUGHT_MAX_TOKENS = 1024

# Rationales per scene and role in the demo workspace (core/demo.py).
DEMO_RATIONALES = 2
DEMO_STEPS = 7  # progress steps of a build: ingest, scenes, strong and weak rationales, predictions, scores, reviews
DEMO_RUN = "demo"  # the run kind of a whole demo build (core/demo.py); its stages record their own runs too
