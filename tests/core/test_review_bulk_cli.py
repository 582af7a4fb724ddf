"""CLI bulk actions: `review bulk / assign / unassign / undo` over a filter, a count first, --confirm N to write,
exit 2 and one line (nothing written) on a wrong count or bad input."""

from sqlmodel import select

from core.cli.main import main
from storage.audit_models import Assignment, BulkAction
from storage.models import Review
from tests.factories import make_workspace


def _state(session) -> tuple[list, list]:
    session.expire_all()
    reviews = sorted(tuple(r) for r in session.exec(select(Review.scene_id, Review.status, Review.reviewer)))
    assigned = sorted(tuple(a) for a in session.exec(select(Assignment.scene_id, Assignment.reviewer)))
    return reviews, assigned


def test_bulk_verdict_assign_unassign_and_undo_from_the_cli(session, capsys):
    ids = [s.id for s in make_workspace(session)]
    sel = [ids[k] for k in (1, 2, 5, 6)]
    assert main(["review", "assign", "--to", "bo", "--selection", "sel", "--reviewer", "ann"]) == 0
    assert capsys.readouterr().out == "would assign 4 scenes to bo; add --confirm 4 to do it\n"
    assert _state(session) == ([], [])
    assert main(["review", "assign", "--to", "bo", "--selection", "sel", "--confirm", "3", "--reviewer", "ann"]) == 2
    assert capsys.readouterr().err == "error: --confirm 3: the filter matches 4 scenes; nothing was written\n"
    assert main(["review", "assign", "--to", "bo", "--selection", "sel", "--confirm", "4", "--reviewer", "ann"]) == 0
    assert main(["review", "bulk", "--status", "rejected", "--max", "diff_model=-9", "--confirm", "0"]) == 2
    out = capsys.readouterr()
    assert out.out == "bulk assign #1 by ann: assign 4 scenes to bo (4 changed)\n"
    assert out.err == "error: no scene matches the filter: nothing to do\n"
    approve = ["review", "bulk", "--status", "approved", "--only", "pending", "--confirm", "8", "--reviewer", "bo"]
    assert main(approve) == 0
    assert _state(session) == (sorted((sid, "approved", "bo") for sid in ids), sorted((sid, "bo") for sid in sel))
    assert main(["review", "unassign", "--selection", "sel", "--confirm", "4", "--reviewer", "ann"]) == 0
    assert _state(session)[1] == []
    assert main(["review", "undo", "--reviewer", "ann"]) == 0  # ann's last: the unassign
    assert main(["review", "undo", "--reviewer", "bo"]) == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "bulk unassign #3 by ann: unassign 4 scenes from everyone (4 changed)",
        "undid bulk unassign #3: 4 of 4 assignments put back",
        "undid bulk approved #2: 8 of 8 scenes put back",
    ]
    assert _state(session) == ([], sorted((sid, "bo") for sid in sel))
    assert len(session.exec(select(BulkAction)).all()) == 3


def test_bad_input_exits_2_with_one_line(session, capsys):
    make_workspace(session)
    for argv, line in (
        (["review", "bulk", "--status", "approved", "--min", "nope=1", "--confirm", "1"],
         "error: unknown score column 'nope'\n"),
        (["review", "bulk", "--status", "approved", "--min", "diff_model", "--confirm", "1"],
         "error: --min 'diff_model': expected COLUMN=VALUE, e.g. --min diff_model=0.1\n"),
        (["review", "assign", "--to", " ", "--confirm", "8"],
         "error: a reviewer name is needed (sign in, or choose who you are in the sidebar)\n"),
        (["review", "undo", "--reviewer", "cy"], "error: cy has no bulk action to undo\n"),
    ):  # fmt: skip
        assert main(argv) == 2, argv
        assert capsys.readouterr().err == line
    assert _state(session) == ([], [])
    assert session.exec(select(BulkAction)).all() == []
