import datetime

import pytest

from ardoise.invoicing.services import issue_invoice

ISSUE_DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def issued_invoice(draft_invoice):
    """The shared draft issued on 4 December 2026: 1 065,00 € TTC, due on 3 January 2027."""
    return issue_invoice(draft_invoice, today=ISSUE_DAY)
