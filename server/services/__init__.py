"""Business rules as plain functions taking a SQLAlchemy session; no Flask imports."""
