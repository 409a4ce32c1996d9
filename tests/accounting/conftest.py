from tests.mailing.conftest import smtp_server, smtp_settings  # noqa: F401  (used by the reports fixtures)
from tests.reports.conftest import _forget_cached_settlement_runs, autumn, today  # noqa: F401
