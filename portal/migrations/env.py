"""Alembic environment: migrates the database the portal's configuration names."""

from __future__ import annotations

from alembic import context

from portal import models  # noqa: F401  (registers the tables on Base.metadata)
from portal.community import models as community_models  # noqa: F401
from portal.db import Base, make_engine
from portal.policies import models as policy_models  # noqa: F401
from portal.privacy import models as privacy_models  # noqa: F401
from portal.releases import models as release_models  # noqa: F401
from portal.watches import models as watch_models  # noqa: F401

config = context.config


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
