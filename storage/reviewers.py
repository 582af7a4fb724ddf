"""Reviewers as rows (name, role) and the checks every human write goes through, here in storage so a read-only user
is refused whatever front end calls the write (the app's hidden buttons are a convenience, not the guard).

A name seen for the first time is registered with the role given (by default `reviewer`): the app registers a signed-in
user with the MIRROR_NEW_REVIEWER_ROLE setting before any write, the CLI and the pipeline with `reviewer`.
"""

from sqlmodel import Session, col, func, select

from core.errors import BadInput, Forbidden
from storage.audit_models import Reviewer
from storage.constants import ACCESS_ROLES, ADMIN, READ_ONLY, REVIEWER
from storage.dialect import insert_on_conflict

MAX_NAME = 200


def clean_name(name: str | None) -> str:
    """A reviewer name stripped; BadInput when empty, too long or holding control characters."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise BadInput("a reviewer name is needed (sign in, or choose who you are in the sidebar)")
    if len(cleaned) > MAX_NAME or any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise BadInput(f"reviewer name {cleaned[:40]!r} is not usable: at most {MAX_NAME} printable characters")
    return cleaned


def _check_role(role: str) -> None:
    if role not in ACCESS_ROLES:
        raise BadInput(f"unknown role {role!r}; use one of: {', '.join(ACCESS_ROLES)}")


def get_reviewer(*, session: Session, name: str) -> Reviewer | None:
    """The reviewer of that name (read fresh), or None."""
    stmt = select(Reviewer).where(Reviewer.name == name).execution_options(populate_existing=True)
    return session.exec(stmt).first()


def list_reviewers(*, session: Session) -> list[Reviewer]:
    """Every reviewer, by name."""
    return list(session.exec(select(Reviewer).order_by(col(Reviewer.name))))


def ensure_reviewer(*, session: Session, name: str, role: str = REVIEWER) -> Reviewer:
    """The reviewer of that name, registered with `role` when new (flushed, not committed; a concurrent first
    registration of the same name is no error)."""
    name = clean_name(name)
    _check_role(role)
    if (found := get_reviewer(session=session, name=name)) is not None:
        return found
    stmt = insert_on_conflict(session.connection(), Reviewer).values(name=name, role=role)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return get_reviewer(session=session, name=name)


def require_writer(*, session: Session, name: str) -> Reviewer:
    """The reviewer (registered if new) when their role may write; Forbidden for a read-only user."""
    reviewer = ensure_reviewer(session=session, name=name)
    if reviewer.role == READ_ONLY:
        who = reviewer.name  # read before the rollback expires the row
        session.rollback()
        raise Forbidden(f"{who} is read-only: reviews, edits and exports need the reviewer or admin role")
    return reviewer


def has_admin(*, session: Session) -> bool:
    """Whether any reviewer is an admin yet."""
    return bool(session.exec(select(func.count()).select_from(Reviewer).where(Reviewer.role == ADMIN)).one())


def require_admin(*, session: Session, name: str) -> Reviewer:
    """The reviewer when an admin; Forbidden otherwise."""
    reviewer = ensure_reviewer(session=session, name=name)
    if reviewer.role != ADMIN:
        who, role = reviewer.name, reviewer.role  # read before the rollback expires (or un-registers) the row
        session.rollback()
        raise Forbidden(f"{who} is {role}: only an admin may do this")
    return reviewer


def set_role(*, session: Session, name: str, role: str, by: str) -> Reviewer:
    """Give reviewer `name` a role (registering the name if new) and commit. Only an admin may, except while no admin
    exists, when any writer may (the first admin of a new database); the last admin cannot step down."""
    _check_role(role)
    if has_admin(session=session):
        require_admin(session=session, name=by)
    else:
        require_writer(session=session, name=by)
    target = ensure_reviewer(session=session, name=name, role=role)
    if target.role == ADMIN and role != ADMIN:
        admins = session.exec(select(func.count()).select_from(Reviewer).where(Reviewer.role == ADMIN)).one()
        if admins <= 1:
            who = target.name
            session.rollback()
            raise BadInput(f"{who} is the last admin: make someone else admin first")
    target.role = role
    session.add(target)
    session.commit()
    return get_reviewer(session=session, name=target.name)
