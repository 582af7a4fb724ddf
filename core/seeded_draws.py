"""Seeded behaviour draws, vectorised: default_rng([seed, *keys]).choice(len(p), p=p) for many distributions at once.

That draw is the first random() double of PCG64 seeded through SeedSequence([seed, *keys]), looked up in p's
normalised CDF: core.predict.sample_behavior (keys = the rationale id; used for imported distributions too) and the
evaluation's behaviours (keys = scene id, repeat). Seeding one Generator per draw costs 20-400 us; here SeedSequence's
hash and PCG64's 128-bit step run as numpy uint32/uint64 array arithmetic. tests/core/test_import_public_files.py and
tests/core/test_eval_baselines.py check it draw for draw against numpy's own Generator.
"""

import numpy as np

_M32 = np.uint64(0xFFFFFFFF)
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_PCG_MULT = (np.uint64(0x2360ED051FC65DA4), np.uint64(0x4385DF649FCCF645))  # (high, low) of the 128-bit multiplier


def _hashmix(value: np.ndarray, const: list[int]) -> np.ndarray:
    value = value ^ np.uint32(const[0])
    const[0] = (const[0] * _MULT_A) & 0xFFFFFFFF
    value = value * np.uint32(const[0])
    return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = _MIX_L * x - _MIX_R * y
    return result ^ (result >> np.uint32(16))


def _seed_words(seed: int, keys: list[np.ndarray]) -> list[np.ndarray]:
    """SeedSequence([seed, *key]).generate_state(4, uint64) for each row of keys (1-3 keys; seed and keys < 2**32)."""
    n = len(keys[0])
    entropy = [np.full(n, seed, dtype=np.uint32), *(np.asarray(k).astype(np.uint32) for k in keys)]
    const = [_INIT_A]
    pool = [_hashmix(entropy[i] if i < len(entropy) else np.zeros(n, dtype=np.uint32), const) for i in range(4)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = _mix(pool[dst], _hashmix(pool[src], const))
    const_b, words = _INIT_B, []
    for i in range(8):
        value = pool[i % 4] ^ np.uint32(const_b)
        const_b = (const_b * _MULT_B) & 0xFFFFFFFF
        value = value * np.uint32(const_b)
        words.append((value ^ (value >> np.uint32(16))).astype(np.uint64))
    return [words[2 * k] | (words[2 * k + 1] << np.uint64(32)) for k in range(4)]


def _mulhi(a: np.ndarray, b: np.uint64) -> np.ndarray:
    """High 64 bits of the 128-bit product a * b."""
    a0, a1, b0, b1 = a & _M32, a >> np.uint64(32), b & _M32, b >> np.uint64(32)
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> np.uint64(32)) + (p01 & _M32) + (p10 & _M32)
    return p11 + (p01 >> np.uint64(32)) + (p10 >> np.uint64(32)) + (mid >> np.uint64(32))


def _step(hi: np.ndarray, lo: np.ndarray, inc_hi: np.ndarray, inc_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """state * MULT + inc (mod 2**128)."""
    m_hi, m_lo = _PCG_MULT
    new_hi = _mulhi(lo, m_lo) + lo * m_hi + hi * m_lo
    new_lo = lo * m_lo
    out_lo = new_lo + inc_lo
    return new_hi + inc_hi + (out_lo < new_lo).astype(np.uint64), out_lo


def first_uniforms(seed: int, *keys: np.ndarray) -> np.ndarray:
    """default_rng([seed, *key]).random() for every row of keys."""
    s_hi, s_lo, i_hi, i_lo = _seed_words(seed, list(keys))
    zero = np.zeros(len(keys[0]), dtype=np.uint64)
    inc_hi = (i_hi << np.uint64(1)) | (i_lo >> np.uint64(63))
    inc_lo = (i_lo << np.uint64(1)) | np.uint64(1)
    hi, lo = _step(zero, zero, inc_hi, inc_lo)
    lo2 = lo + s_lo
    hi, lo = hi + s_hi + (lo2 < lo).astype(np.uint64), lo2
    hi, lo = _step(hi, lo, inc_hi, inc_lo)
    hi, lo = _step(hi, lo, inc_hi, inc_lo)  # the draw itself
    xored, rot = hi ^ lo, hi >> np.uint64(58)
    out = (xored >> rot) | (xored << ((np.uint64(64) - rot) & np.uint64(63)))
    return (out >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _fits(seed: int, keys: tuple[np.ndarray, ...]) -> bool:
    """Whether every seed word is one uint32 (else SeedSequence splits it into more words: use numpy itself)."""
    return 0 <= seed < 2**32 and len(keys) <= 3 and all(not len(k) or (k.min() >= 0 and k.max() < 2**32) for k in keys)


def draw_options(probs: np.ndarray, lengths: np.ndarray, *, seed: int, keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """default_rng([seed, *key]).choice(n, p=p) for each row: probs zero-padded (rows × max n), lengths = each n."""
    n = len(lengths)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keys = tuple(np.asarray(k, dtype=np.int64) for k in keys)
    lengths = np.asarray(lengths, dtype=np.int64)
    if not _fits(seed, keys):
        return np.array(
            [
                np.random.default_rng([seed, *(int(k[i]) for k in keys)]).choice(
                    int(m), p=probs[i, :m] / probs[i, :m].sum()
                )
                for i, m in enumerate(lengths)
            ],
            dtype=np.int64,
        )
    width = probs.shape[1]
    cdf = np.cumsum(probs, axis=1)
    cdf = cdf / cdf[np.arange(n), lengths - 1][:, None]
    cdf[np.arange(width)[None, :] >= lengths[:, None]] = np.inf
    draws = first_uniforms(seed, *keys)
    return (cdf <= draws[:, None]).sum(axis=1).astype(np.int64)


def sample_behaviors(flat: np.ndarray, lengths: np.ndarray, *, seed: int, rationale_ids: np.ndarray) -> np.ndarray:
    """sample_behavior(p, seed=seed, rationale_id=r) for each distribution p of the concatenation `flat`."""
    lengths = np.asarray(lengths, dtype=np.int64)
    n = len(lengths)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    probs = np.zeros((n, int(lengths.max())))
    probs[np.repeat(np.arange(n), lengths), np.arange(len(flat)) - np.repeat(starts, lengths)] = flat
    return draw_options(probs, lengths, seed=seed, keys=(np.asarray(rationale_ids, dtype=np.int64),))
