"""The database: SQLModel tables (models.py), engine (db.py) and every query (one module per area)."""
