"""The one error hierarchy; messages are written for the user (CLI prints them, pages st.error them)."""


class MirrorError(Exception):
    """Any expected failure; the CLI exits 1."""

    exit_code = 1


class BadInput(MirrorError):
    """The user's input is wrong (file, option, value); nothing was written. The CLI exits 2."""

    exit_code = 2


class NotFound(BadInput):
    """A named thing (dataset, endpoint, selection, scene) does not exist."""


class StaleVersion(BadInput):
    """A save was based on an older version than the one stored."""


class SceneHeld(BadInput):
    """Another reviewer has the scene open (a live review lease): a verdict on it is refused."""


class Forbidden(BadInput):
    """The reviewer's role does not allow this write (a read-only user, or an admin-only action)."""


class DatabaseBusy(MirrorError):
    """Another process held the database's write lock past the busy timeout: not the user's fault, try again."""

    def __init__(self, message: str = "the database is busy: another run is writing to it; try again in a moment"):
        super().__init__(message)


class EndpointError(MirrorError):
    """An LLM endpoint could not be reached or started."""
