"""Importers of work done elsewhere: the reference UserMirrorer pipeline's artifacts and public files."""

from core.importers.usermirrorer import ImportReport, import_usermirrorer

__all__ = ["ImportReport", "import_usermirrorer"]
