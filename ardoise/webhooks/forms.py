from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.webhooks.delivery import address_problem
from ardoise.webhooks.models import EventType, Subscription

SUBSCRIBABLE = [(value, label) for value, label in EventType.choices if value != EventType.PING]


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(label=_("Événements"), choices=SUBSCRIBABLE, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Subscription
        fields = ["url", "description", "events", "is_active"]
        help_texts = {
            "url": _("Adresse https:// de l'application qui reçoit les événements, ou http://127.0.0.1 pour un test."),
        }

    def clean_url(self) -> Any:
        url = self.cleaned_data["url"]
        problem = address_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url
