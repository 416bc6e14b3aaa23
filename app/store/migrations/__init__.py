"""Alembic migrations, packaged with the app so ``mare db upgrade`` works from an install."""
