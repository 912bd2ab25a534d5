"""The owner's duties: what the service tells owners it cannot do for them."""
import pytest

from app.sites.duties import DUTIES, owner_duties
from app.sites.kinds import Regime


@pytest.mark.parametrize(("regimes", "present", "absent"), [
    ([Regime.RU152], {"rkn-notice", "localisation", "separate-consents", "no-noscript"}, set()),
    ([Regime.GDPR], {"no-noscript", "no-cookie-wall", "policy-published", "csp"},
     {"rkn-notice", "localisation", "eu-visitors"}),
    ([Regime.RU152, Regime.GDPR], {"rkn-notice", "csp"}, set()),
])
def test_each_regime_gets_its_duties(regimes, present, absent):
    codes = {duty.code for duty in owner_duties(regimes)}
    assert present <= codes and not codes & absent


def test_duties_name_their_checklist_items_in_order():
    items = [duty.item for duty in DUTIES]
    assert items == sorted(items) and all(1 <= item <= 24 for item in items)
    assert len({duty.code for duty in DUTIES}) == len(DUTIES)
