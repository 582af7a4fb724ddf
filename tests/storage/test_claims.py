"""Work claims: who holds an item, when a lease runs out, what another run settled, what a dead run gives back."""

from sqlmodel import Session, select

from storage.claims import begin_work, claim, db_clock, forget_settled, release, renew, settle
from storage.models import Run, WorkClaim
from storage.runs import INTERRUPTED, interrupt_dead_runs, list_runs, start_run
from tests.factories import dead_pid

KEYS = [f"rationale:{k}:strong:0" for k in range(6)]


def _run(session: Session, *, lease: float = 60.0) -> tuple[int, float]:
    run = start_run(session=session, kind="rationales")
    return run.id, begin_work(session=session, run_id=run.id, lease_seconds=lease)


def _claim(session: Session, run: tuple[int, float], keys: list[str], lease: float = 60.0):
    got = claim(session=session, run_id=run[0], keys=keys, lease_seconds=lease, since=run[1])
    session.commit()
    return got


def _rows(session: Session) -> dict[str, tuple[int, bool]]:
    rows = session.exec(select(WorkClaim).order_by(WorkClaim.item_key)).all()
    return {row.item_key: (row.run_id, row.settled_at is not None) for row in rows}


def test_a_held_item_is_claimed_once_and_settled_items_belong_to_their_run(session):
    a, b = _run(session), _run(session)
    first = _claim(session, a, KEYS[:4])
    assert (first.won, first.settled, first.held) == (KEYS[:4], [], [])
    second = _claim(session, b, KEYS)
    assert (second.won, second.settled, second.held) == (KEYS[4:], [], KEYS[:4])
    settle(session=session, run_id=a[0], keys=KEYS[:2])
    third = _claim(session, b, KEYS[:4])
    # settled by a during b's run: b leaves them (a paid for them); the two still held stay held
    assert (third.won, third.settled, third.held) == ([], KEYS[:2], KEYS[2:4])
    assert _rows(session) == {
        **{k: (a[0], True) for k in KEYS[:2]},
        **{k: (a[0], False) for k in KEYS[2:4]},
        **{k: (b[0], False) for k in KEYS[4:]},
    }


def test_an_expired_lease_is_taken_over_and_a_renewed_one_is_not(session):
    a, b = _run(session), _run(session)
    _claim(session, a, KEYS[:2], lease=0.05)
    _claim(session, a, KEYS[2:4], lease=0.05)
    renew(session=session, run_id=a[0], lease_seconds=60.0)  # a renews every held lease at once
    now = db_clock(session=session)
    assert session.get(Run, a[0]).alive_until > now + 59
    for row in session.exec(select(WorkClaim).where(WorkClaim.item_key.in_(KEYS[:2]))).all():
        row.expires_at = now - 1  # these two ran out
    session.commit()
    got = _claim(session, b, KEYS[:4])
    assert (got.won, got.held) == (KEYS[:2], KEYS[2:4])
    assert _rows(session) == {**{k: (b[0], False) for k in KEYS[:2]}, **{k: (a[0], False) for k in KEYS[2:4]}}


def test_items_settled_before_a_run_began_are_claimable_again(session):
    old = _run(session)
    _claim(session, old, KEYS[:2])
    settle(session=session, run_id=old[0], keys=KEYS[:2])  # e.g. a failure of an earlier run, to be retried
    later = _run(session)
    got = _claim(session, later, KEYS[:2])
    assert (got.won, got.settled) == (KEYS[:2], [])
    assert _rows(session) == {k: (later[0], False) for k in KEYS[:2]}


def test_release_gives_back_only_unsettled_claims(session):
    a = _run(session)
    _claim(session, a, KEYS[:3])
    settle(session=session, run_id=a[0], keys=KEYS[:1])
    release(session=session, run_ids=[a[0]])
    session.commit()
    assert _rows(session) == {KEYS[0]: (a[0], True)}


def test_forget_settled_keeps_what_a_running_run_may_still_meet(session):
    a = _run(session)
    _claim(session, a, KEYS[:2])
    settle(session=session, run_id=a[0], keys=KEYS[:1])
    b = _run(session)  # began after KEYS[0] was settled: that row means nothing to b, but a still runs
    _claim(session, b, KEYS[4:5])
    settle(session=session, run_id=b[0], keys=KEYS[4:5])
    forget_settled(session=session)
    assert _rows(session) == {KEYS[0]: (a[0], True), KEYS[1]: (a[0], False), KEYS[4]: (b[0], True)}
    session.get(Run, a[0]).status = "done"
    session.commit()
    forget_settled(session=session)
    assert _rows(session) == {KEYS[1]: (a[0], False), KEYS[4]: (b[0], True)}
    session.get(Run, b[0]).status = "done"
    session.commit()
    forget_settled(session=session)
    assert _rows(session) == {KEYS[1]: (a[0], False)}


def test_dead_runs_are_recorded_interrupted_and_their_items_freed(session):
    here, gone, elsewhere_alive, elsewhere_dead = (_run(session) for _ in range(4))
    now = db_clock(session=session)
    session.get(Run, gone[0]).pid = dead_pid()
    for run, until in ((elsewhere_alive, now + 60), (elsewhere_dead, now - 1)):
        row = session.get(Run, run[0])
        row.host, row.pid, row.alive_until = "another-machine", 1, until
    session.commit()
    for k, run in enumerate((here, gone, elsewhere_alive, elsewhere_dead)):
        _claim(session, run, KEYS[k : k + 1])
    with Session(session.get_bind()) as s:
        assert [r.status for r in list_runs(session=s)] == ["interrupted", "running", "interrupted", "running"]
    with Session(session.get_bind()) as s:
        assert [r.status for r in s.exec(select(Run).order_by(Run.id))] == ["running"] * 4  # only shown
        assert interrupt_dead_runs(session=s) == [gone[0], elsewhere_dead[0]]
    session.expire_all()
    statuses = [r.status for r in session.exec(select(Run).order_by(Run.id))]
    assert statuses == ["running", INTERRUPTED, "running", INTERRUPTED]
    assert _rows(session) == {KEYS[0]: (here[0], False), KEYS[2]: (elsewhere_alive[0], False)}


def test_a_limited_claim_looks_past_held_and_settled_items_to_the_first_free_ones(session):
    a, b = _run(session), _run(session)
    _claim(session, a, KEYS[:2])  # a holds 0-1
    _claim(session, a, KEYS[2:3])
    settle(session=session, run_id=a[0], keys=KEYS[2:3])  # and settled 2 during b's run
    got = claim(session=session, run_id=b[0], keys=KEYS, lease_seconds=60.0, since=b[1], limit=2)
    session.commit()
    assert (got.won, got.settled, got.held, got.rest) == (KEYS[3:5], KEYS[2:3], KEYS[:2], KEYS[5:])
    assert _rows(session) == {
        **{k: (a[0], False) for k in KEYS[:2]},
        KEYS[2]: (a[0], True),
        **{k: (b[0], False) for k in KEYS[3:5]},
    }
