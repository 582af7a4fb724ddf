"""CLI: status — what the workspace holds, per dataset and per selection."""

import argparse

from storage.constants import PENDING, ROLES, SPLITS, VERDICTS

COLUMNS = [
    "dataset",
    "users",
    "items",
    "interactions",
    *SPLITS,
    *(f"rat.{role}" for role in ROLES),
    *(f"pred.{role}" for role in ROLES),
    "failed",
    "scored",
]
SELECTION_COLUMNS = ["selection", "scenes", *VERDICTS, PENDING]


def register(sub) -> None:
    """Add the `status` command."""
    p = sub.add_parser(
        "status",
        help="show counts per dataset (users, items, interactions, scenes, rationales, ...) and per selection",
        description="Counts per dataset: users, items, interactions, scenes per split, rationales and predictions "
        "per role, failed LLM calls, scored scenes; and per selection: scenes approved, rejected, pending.",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (the shape documented in DESIGN.md)")
    p.set_defaults(func=run)


def _table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    return "\n".join(lines)


def render(data: dict) -> str:
    """The human-readable status tables."""
    if not data["datasets"]:
        return "no datasets yet; run `python -m core ingest ...` or `python -m core demo`"
    rows = [
        [
            name,
            d["users"],
            d["items"],
            d["interactions"],
            *(d["scenes"][split] for split in SPLITS),
            *(d["rationales"][role] for role in ROLES),
            *(d["predictions"][role] for role in ROLES),
            d["failed_calls"],
            d["scored"],
        ]
        for name, d in data["datasets"].items()
    ]
    out = _table(COLUMNS, rows)
    if data["selections"]:
        sel_rows = [[name, *(s[c] for c in SELECTION_COLUMNS[1:])] for name, s in data["selections"].items()]
        out += "\n\n" + _table(SELECTION_COLUMNS, sel_rows)
    return out


def run(args: argparse.Namespace) -> int:
    """Print the counts (a table, or the JSON object with --json)."""
    import json  # loaded here (like everything this command needs) so `--help` pays for nothing

    from storage.db import get_engine
    from storage.status import status

    with get_engine(args.db).connect() as conn:  # SQLAlchemy Core only: no ORM session, no table models to load
        data = status(conn=conn)
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 0
