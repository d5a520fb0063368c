"""Database access: SQLAlchemy 2 async models, the engine, migrations and small repositories."""
