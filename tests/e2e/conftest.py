"""Fixtures every e2e module may use without importing them: the suite's real PostgreSQL (from
tests/api/conftest.py) and a paired WAHA simulator (`sim`, from tests/waha/simulated_media.py).

pytest resolves a fixture's own dependencies from the requesting test's module and conftests, so a
module that imports only `client` from test_api_sessions.py would otherwise fail with
"fixture 'pg_dsn' not found" — and only on a real cluster, the one place e2e tests are not skipped.
"""

from tests.api.conftest import db_pool, pg_dsn, pg_server_dsn, pg_template
from tests.waha.simulated_media import sim

__all__ = ["db_pool", "pg_dsn", "pg_server_dsn", "pg_template", "sim"]
