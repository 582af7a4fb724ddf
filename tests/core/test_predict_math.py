"""Logprobs -> distribution, the sampling fallback and the seeded behaviour, with exact values."""

import math

import numpy as np
import pytest

from core.predict import (
    FLOOR,
    answer_top,
    letter_distribution,
    logprob_distribution,
    normalise,
    sample_behavior,
    sampled_distribution,
)


def top(*pairs: tuple[str, float]) -> list[dict]:
    return [{"token": token, "logprob": logprob} for token, logprob in pairs]


def test_every_spelling_of_a_letter_is_summed():
    tokens = top(("A", -1.0), (" A", -2.0), ("[A", -3.0), ("[ A", -4.0), (" [A", -5.0), ("A]", -6.0), ("B", -0.5))
    mass_a = sum(math.exp(v) for v in (-1.0, -2.0, -3.0, -4.0, -5.0, -6.0))
    mass_b = math.exp(-0.5)
    probs = letter_distribution(tokens, 2)
    assert probs.dtype == np.float64
    assert probs.tolist() == pytest.approx([mass_a / (mass_a + mass_b), mass_b / (mass_a + mass_b)], abs=1e-15)


def test_other_tokens_and_lowercase_do_not_count_and_absent_letters_are_floored():
    tokens = top(("B", math.log(0.5)), ("The", -0.1), ("a", -0.2), ("AB", -0.3), ("E", -0.4), ("C", math.log(0.25)))
    probs = letter_distribution(tokens, 4)
    total = 0.5 + 0.25 + 2 * FLOOR
    assert probs.tolist() == pytest.approx([FLOOR / total, 0.5 / total, 0.25 / total, FLOOR / total], rel=1e-12)
    assert probs.sum() == pytest.approx(1.0, abs=1e-15)


def test_letters_outside_the_scene_are_ignored():
    probs = letter_distribution(top(("A", math.log(0.2)), ("B", math.log(0.3)), ("C", math.log(0.5))), 2)
    assert probs.tolist() == pytest.approx([0.4, 0.6], abs=1e-15)
    assert len(probs) == 2


def test_no_letter_at_all_is_none():
    assert letter_distribution(top(("Z", -0.1), ("The", -1.0)), 4) is None
    assert letter_distribution([], 4) is None


def test_the_reference_fault_server_reply():
    # The fault server answers "B" with top logprobs B -0.1, A -2, C -4, D -5.
    tokens = top(("B", -0.1), ("A", -2.0), ("C", -4.0), ("D", -5.0))
    mass = np.exp([-2.0, -0.1, -4.0, -5.0])
    np.testing.assert_allclose(letter_distribution(tokens, 4), mass / mass.sum(), rtol=1e-14)


def position(token: str, logprob: float, *alternatives: tuple[str, float]) -> dict:
    return {"token": token, "logprob": logprob, "top_logprobs": top(*alternatives)}


def test_a_reply_starting_with_a_bracket_is_read_at_its_letter():
    logprobs = [
        position("[", -0.01, ("[", -0.01), ("B", -6.0), ("A", -7.0)),
        position("B", -0.2, ("B", -0.2), ("A", -1.9), ("C", -3.0), ("The", -4.0)),
        position("]", -0.001, ("]", -0.001), ("A", -8.0)),
    ]
    assert answer_top(logprobs, 3) == logprobs[1]["top_logprobs"]
    mass = np.exp([-1.9, -0.2, -3.0])
    np.testing.assert_allclose(logprob_distribution(logprobs, 3), mass / mass.sum(), rtol=1e-14)
    # "Behavior", ":", " [", "C": the fourth token carries the letter
    words = [position("Behavior", -0.1, ("Behavior", -0.1), ("A", -5.0)), position(":", 0.0, (":", 0.0))]
    words += [position(" [", 0.0, (" [", 0.0)), position("C", -0.5, ("C", -0.5), ("B", -1.0))]
    mass = np.array([0.0, math.exp(-1.0), math.exp(-0.5)])
    total = mass.sum() + FLOOR
    assert logprob_distribution(words, 3).tolist() == pytest.approx([FLOOR / total, *(mass[1:] / total)], rel=1e-12)


def test_a_reply_starting_with_a_letter_is_read_at_the_first_token():
    logprobs = [
        position("B", -0.1, ("B", -0.1), ("A", -2.0), ("C", -4.0), ("D", -5.0)),
        position("]", 0.0, ("]", 0.0), ("A", -3.0)),
    ]
    mass = np.exp([-2.0, -0.1, -4.0, -5.0])
    np.testing.assert_allclose(logprob_distribution(logprobs, 4), mass / mass.sum(), rtol=1e-14)
    assert answer_top(logprobs, 4) == logprobs[0]["top_logprobs"]


def test_a_letter_that_starts_a_word_is_not_the_answer():
    # "I would pick [C]" with 12 options: "I" is a letter token, but the text goes on with a word
    reply = [
        position("I", -0.02, ("I", -0.02), ("A", -6.0)),
        position(" would", -0.1, (" would", -0.1)),
        position(" pick", -0.1, (" pick", -0.1)),
        position(" [", 0.0, (" [", 0.0)),
        position("C", -0.3, ("C", -0.3), ("B", -1.2)),
        position("]", 0.0, ("]", 0.0)),
    ]
    assert answer_top(reply, 12) == reply[4]["top_logprobs"]
    # "A good fit is C": "A" starts a sentence; the answer is the last token
    sentence = [
        position("A", -0.5, ("A", -0.5), ("The", -1.0)),
        position(" good", -0.2, (" good", -0.2)),
        position(" fit", -0.1, (" fit", -0.1)),
        position(" is", -0.1, (" is", -0.1)),
        position(" C", -0.4, (" C", -0.4), (" B", -1.5)),
    ]
    assert answer_top(sentence, 4) == sentence[4]["top_logprobs"]
    # a letter then punctuation or the end of the reply is an answer
    assert answer_top([position("B", -0.1, ("B", -0.1)), position(".", 0.0, (".", 0.0))], 4) is not None
    assert answer_top([position("B", -0.1, ("B", -0.1))], 4) == [{"token": "B", "logprob": -0.1}]


def test_no_letter_at_any_position_means_sampling():
    logprobs = [
        position("[", -0.01, ("[", -0.01), ("B", -6.0), ("A", -7.0)),  # letter mass 0.0034: leftovers, not an answer
        position("The", -0.3, ("The", -0.3), ("I", -1.5)),
        position(" answer", -0.1, (" answer", -0.1)),
    ]
    assert answer_top(logprobs, 3) is None and logprob_distribution(logprobs, 3) is None
    assert logprob_distribution(None, 3) is None and logprob_distribution([], 3) is None


def test_an_out_of_range_letter_reads_the_letters_among_its_alternatives():
    # the fault server's reply "Z": Z -0.1, then A -2, B -3, C -4, D -5 (letter mass 0.21 >= MIN_LETTER_MASS)
    logprobs = [position("Z", -0.1, ("Z", -0.1), ("A", -2.0), ("B", -3.0), ("C", -4.0), ("D", -5.0))]
    mass = np.exp([-2.0, -3.0, -4.0, -5.0])
    np.testing.assert_allclose(logprob_distribution(logprobs, 4), mass / mass.sum(), rtol=1e-14)


def test_empty_top_logprobs_mean_sampling_not_a_one_hot():
    assert logprob_distribution([position("B", -0.3), position("]", 0.0)], 4) is None
    assert logprob_distribution([{"token": "B", "logprob": -0.3}], 4) is None


def test_sampling_fallback_counts_answers_then_floors():
    probs = sampled_distribution([1, 1, 0, 1, 1, 1, 0, 1], 3)
    total = 1.0 + FLOOR
    assert probs.tolist() == pytest.approx([0.25 / total, 0.75 / total, FLOOR / total], rel=1e-12)
    assert sampled_distribution([], 3) is None


def test_sampling_fallback_needs_half_of_the_answers_valid():
    # 8 samples: 4 valid (= ceil(8 / 2)) are enough and only they are counted; 3 are not
    probs = sampled_distribution([1, None, 1, 0, None, None, 1, None], 3)
    total = 1.0 + FLOOR
    assert probs.tolist() == pytest.approx([0.25 / total, 0.75 / total, FLOOR / total], rel=1e-12)
    assert sampled_distribution([1, None, 1, 0, None, None, None, None], 3) is None
    # 3 samples: ceil(1.5) = 2 valid needed
    assert sampled_distribution([2, None, 2], 3).tolist() == pytest.approx(
        [FLOOR / (1 + 2 * FLOOR), FLOOR / (1 + 2 * FLOOR), 1 / (1 + 2 * FLOOR)], rel=1e-12
    )
    assert sampled_distribution([2, None, None], 3) is None
    assert sampled_distribution([None] * 8, 3) is None


def test_normalise_floors_at_1e_10():
    assert normalise(np.array([0.0, 0.0])).tolist() == [0.5, 0.5]
    assert normalise(np.array([2.0, 6.0])).tolist() == [0.25, 0.75]


def test_sampled_behaviour_is_seeded_by_seed_and_rationale_id():
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    draws = [sample_behavior(probs, seed=0, rationale_id=r) for r in range(200)]
    assert draws == [sample_behavior(probs, seed=0, rationale_id=r) for r in range(200)]
    assert draws[:5] == [int(np.random.default_rng([0, r]).choice(4, p=probs)) for r in range(5)]
    assert draws != [sample_behavior(probs, seed=1, rationale_id=r) for r in range(200)]
    counts = np.bincount(draws, minlength=4) / 200
    np.testing.assert_allclose(counts, probs, atol=0.08)
    assert sample_behavior(np.array([0.0, 1.0]), seed=3, rationale_id=9) == 1
