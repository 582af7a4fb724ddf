"""Filter users by interaction count and write a clean dataset in one transaction with bulk inserts."""

from dataclasses import replace as dc_replace
from itertools import repeat

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from core.errors import BadInput
from core.ingest.validate import Clean
from core.progress import Bar, Progress
from storage import bulk
from storage import datasets as store
from storage.db import bulk_transaction

CHUNK = 100_000


def filter_users(clean: Clean, *, min_interactions: int, max_interactions: int | None) -> tuple[Clean, int, int]:
    """Keep users with min..max interactions (items all stay); returns (clean, dropped users, dropped interactions)."""
    counts = np.bincount(clean.user_pos, minlength=len(clean.users))
    keep = counts >= min_interactions
    if max_interactions is not None:
        keep &= counts <= max_interactions
    if keep.all():
        return clean, 0, 0
    new_pos = np.cumsum(keep) - 1
    rows = keep[clean.user_pos]
    imp_rows, imp_items = clean.imp_rows, clean.imp_items
    if imp_rows is not None:
        kept = rows[imp_rows]
        imp_rows, imp_items = (np.cumsum(rows) - 1)[imp_rows[kept]], imp_items[kept]
    out = dc_replace(
        clean,
        users=clean.users[keep].reset_index(drop=True),
        user_pos=new_pos[clean.user_pos[rows]],
        item_pos=clean.item_pos[rows],
        timestamp=clean.timestamp[rows],
        features=clean.features[rows].reset_index(drop=True),
        imp_rows=imp_rows,
        imp_items=imp_items,
    )
    return out, int((~keep).sum()), int((~rows).sum())


def order_by_user_time(clean: Clean) -> Clean:
    """Interactions sorted by (user, timestamp), ties in file order: sequential index inserts, per-user id runs."""
    order = np.lexsort((clean.timestamp, clean.user_pos))
    imp_rows, imp_items = clean.imp_rows, clean.imp_items
    if imp_rows is not None:
        new_rows = np.empty_like(order)
        new_rows[order] = np.arange(len(order))
        moved = new_rows[imp_rows]
        keep_order = np.argsort(moved, kind="stable")
        imp_rows, imp_items = moved[keep_order], imp_items[keep_order]
    return dc_replace(
        clean,
        user_pos=clean.user_pos[order],
        item_pos=clean.item_pos[order],
        timestamp=clean.timestamp[order],
        features=clean.features.take(order).reset_index(drop=True),
        imp_rows=imp_rows,
        imp_items=imp_items,
    )


def json_lines(frame: pd.DataFrame) -> list[str]:
    """One JSON object per row, serialised by pandas in one call (no per-row Python)."""
    if frame.shape[1] == 0:
        return ["{}"] * len(frame)
    if len(frame) == 0:
        return []
    # 15 decimals, the most pandas writes (its default of 10 turned a price of 12.345678901234 into 12.3456789012).
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
    return text.rstrip("\n").split("\n")


def impressions_json(clean: Clean, n_rows: int, item_base: int) -> np.ndarray:
    """Per interaction the JSON list of internal item ids shown with it, None where there were none."""
    out = np.full(n_rows, None, dtype=object)
    if clean.imp_rows is None or len(clean.imp_rows) == 0:
        return out
    rows = clean.imp_rows
    vals = pd.Series(clean.imp_items + item_base).astype(str)
    starts = np.r_[True, rows[1:] != rows[:-1]]
    ends = np.r_[rows[1:] != rows[:-1], True]
    # Build every list in one string: "[" opens a row, "," joins, "]\n" closes it; then split per row.
    tokens = pd.Series(np.where(starts, "[", "")) + vals + pd.Series(np.where(ends, "]\n", ","))
    out[rows[ends]] = "".join(tokens.tolist()).rstrip("\n").split("\n")
    return out


def _templates(fmt: str) -> dict | None:
    try:
        from core.templates import templates_for  # written by the scenes stage; imported lazily
    except ImportError:
        return None
    return templates_for(fmt)


def write_dataset(
    clean: Clean,
    *,
    engine: Engine,
    name: str,
    fmt: str,
    source_path: str | None,
    replace: bool,
    options: dict,
    progress: Progress,
) -> tuple[int, dict[str, int] | None]:
    """Insert the dataset, its users, items and interactions in ONE transaction.

    Returns the new dataset id and, when an old dataset of that name was replaced, what deleting it removed.
    """
    templates = _templates(fmt)
    total = len(clean.users) + len(clean.items) + len(clean.timestamp)
    with progress.bar(total=total, label="writing") as bar, bulk_transaction(engine=engine) as conn:
        existing, replaced = store.dataset_id(conn=conn, name=name), None
        if existing is not None:
            if not replace:
                raise BadInput(f"dataset {name!r} already exists; pass --replace to overwrite it")
            replaced = store.delete_dataset(conn=conn, dataset_id=existing)
        ds = store.insert_dataset(
            conn=conn, name=name, fmt=fmt, source_path=source_path, templates=templates, options=options
        )
        with bulk.id_block(conn=conn, tables=("user", "item", "interaction"), large=True) as ids:
            user_base, item_base = ids.take("user", len(clean.users)), ids.take("item", len(clean.items))
            inter_base = ids.take("interaction", len(clean.timestamp))
            _write_users(conn, clean, dataset_id=ds, first_id=user_base)
            bar.update(len(clean.users))
            _write_items(conn, clean, dataset_id=ds, first_id=item_base)
            bar.update(len(clean.items))
            _write_interactions(conn, clean, dataset_id=ds, first_ids=(user_base, item_base, inter_base), bar=bar)
    return ds, replaced


def _write_users(conn: Connection, clean: Clean, *, dataset_id: int, first_id: int) -> None:
    n = len(clean.users)
    features = json_lines(clean.users.drop(columns=["user_id"]))
    ids = range(first_id, first_id + n)
    rows = zip(ids, repeat(dataset_id, n), clean.users["user_id"].tolist(), features, strict=True)
    bulk.write_users(conn=conn, rows=rows)


def _write_items(conn: Connection, clean: Clean, *, dataset_id: int, first_id: int) -> None:
    n, items = len(clean.items), clean.items
    features = json_lines(items.drop(columns=["item_id", "title", "release_ts"]))
    release = items["release_ts"].astype(object).where(items["release_ts"].notna(), None).tolist()
    ids = range(first_id, first_id + n)
    rows = zip(
        ids, repeat(dataset_id, n), items["item_id"].tolist(), items["title"].tolist(), release, features, strict=True
    )
    bulk.write_items(conn=conn, rows=rows)


def _write_interactions(
    conn: Connection, clean: Clean, *, dataset_id: int, first_ids: tuple[int, int, int], bar: Bar
) -> None:
    """In chunks of CHUNK rows; first_ids = the first user, item and interaction id of this dataset."""
    user_base, item_base, inter_base = first_ids
    n = len(clean.timestamp)
    user_ids = clean.user_pos + user_base
    item_ids = clean.item_pos + item_base
    impressions = impressions_json(clean, n, item_base)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        rows = zip(
            range(inter_base + start, inter_base + stop),
            repeat(dataset_id, stop - start),
            user_ids[start:stop].tolist(),
            item_ids[start:stop].tolist(),
            clean.timestamp[start:stop].tolist(),
            json_lines(clean.features.iloc[start:stop]),
            impressions[start:stop].tolist(),
            strict=True,
        )
        bulk.write_interactions(conn=conn, rows=rows)
        bar.update(stop - start)
