from django.utils import translation
from django.utils.translation import ngettext


def test_french_plural_rule_gives_the_singular_for_zero_and_one():
    with translation.override("fr"):
        assert ngettext("%(days)s jour", "%(days)s jours", 0) % {"days": 0} == "0 jour"
        assert ngettext("%(days)s jour", "%(days)s jours", 1) % {"days": 1} == "1 jour"
        assert ngettext("%(days)s jour", "%(days)s jours", 2) % {"days": 2} == "2 jours"
