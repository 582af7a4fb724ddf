"""Reviewers as rows: registration, roles, and the read-only guard on every human write (in storage)."""

import pytest
from sqlmodel import select

from core.errors import BadInput, Forbidden
from storage.audit_models import Reviewer
from storage.models import Review
from storage.reviewers import ensure_reviewer, list_reviewers, require_admin, require_writer, set_role
from storage.reviews import insert_review, update_rationale, update_review
from tests.factories import make_dataset, make_rationale, make_scene


def test_a_new_name_is_registered_once_with_its_role(session):
    first = ensure_reviewer(session=session, name="  ada  ", role="admin")
    again = ensure_reviewer(session=session, name="ada", role="read-only")  # an existing row keeps its role
    session.commit()
    assert (first.id, first.name, first.role) == (again.id, "ada", "admin")
    assert [(r.name, r.role) for r in list_reviewers(session=session)] == [("ada", "admin")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "a reviewer name is needed (sign in, or choose who you are in the sidebar)"),
        ("a\x00b", "reviewer name 'a\\x00b' is not usable: at most 200 printable characters"),
        ("x" * 201, f"reviewer name {'x' * 40!r} is not usable: at most 200 printable characters"),
    ],
)
def test_unusable_names_are_refused(session, name, message):
    with pytest.raises(BadInput) as caught:
        ensure_reviewer(session=session, name=name)
    assert str(caught.value) == message


def test_a_read_only_user_cannot_write_reviews_or_edits(session):
    scene = make_scene(session, dataset=make_dataset(session))
    rid = make_rationale(session, scene=scene, role="strong", sample_index=0).id
    ensure_reviewer(session=session, name="viewer", role="read-only")
    session.commit()
    message = "viewer is read-only: reviews, edits and exports need the reviewer or admin role"
    with pytest.raises(Forbidden) as caught:
        insert_review(session=session, scene_id=scene.id, status="approved", reviewer="viewer", note=None)
    assert str(caught.value) == message
    created = insert_review(session=session, scene_id=scene.id, status="approved", reviewer="writer", note=None)
    with pytest.raises(Forbidden):
        update_review(
            session=session, review_id=created.id, base_version=1, status="rejected", reviewer="viewer", note=None
        )
    with pytest.raises(Forbidden):
        update_rationale(
            session=session,
            rationale_id=rid,
            expected_version=1,
            values={"text": "x"},
            updated_at=created.updated_at,
            author="viewer",
        )
    reviews = session.exec(select(Review.status, Review.reviewer, Review.version)).all()
    assert reviews == [("approved", "writer", 1)]  # nothing of viewer's landed
    roles = {r.name: r.role for r in session.exec(select(Reviewer))}
    assert roles == {"viewer": "read-only", "writer": "reviewer"}  # writer registered by the first write


def test_roles_change_only_by_an_admin_once_there_is_one(session):
    assert set_role(session=session, name="ada", role="admin", by="ada").role == "admin"  # the first admin
    with pytest.raises(Forbidden) as caught:
        set_role(session=session, name="bob", role="admin", by="bob")
    assert str(caught.value) == "bob is reviewer: only an admin may do this"
    assert set_role(session=session, name="cy", role="read-only", by="ada").role == "read-only"
    with pytest.raises(BadInput) as caught:
        set_role(session=session, name="ada", role="reviewer", by="ada")
    assert str(caught.value) == "ada is the last admin: make someone else admin first"
    with pytest.raises(BadInput) as caught:
        set_role(session=session, name="cy", role="boss", by="ada")
    assert str(caught.value) == "unknown role 'boss'; use one of: reviewer, admin, read-only"
    assert require_admin(session=session, name="ada").name == "ada"
    assert require_writer(session=session, name="bob").role == "reviewer"
    roles = {r.name: r.role for r in list_reviewers(session=session)}
    assert roles == {"ada": "admin", "bob": "reviewer", "cy": "read-only"}


def test_an_upgraded_database_gets_the_bulk_tables(tmp_path):
    """A database upgraded before the bulk-verdict tables existed gets them from m006 (tables come from the models)."""
    from sqlalchemy import create_engine, inspect, text

    from storage.db import upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bulkchange"))
        conn.execute(text("DROP TABLE bulkaction"))
        conn.execute(text("DELETE FROM _migrations WHERE name = 'm006_bulk_review'"))
    assert upgrade(engine) == ["m006_bulk_review"]
    assert {"bulkaction", "bulkchange"} <= set(inspect(engine).get_table_names())
