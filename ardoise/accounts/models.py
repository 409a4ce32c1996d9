from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ardoise.core import payment_terms
from ardoise.core.vat import EXEMPT_BASIS_CHOICES, EXEMPTIONS


class User(AbstractUser):
    """A person who logs in; belongs to organisations through memberships."""

    email = models.EmailField(_("adresse e-mail"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]


class VatRegime(models.TextChoices):
    NORMAL = "normal", _("Régime normal (TVA facturée)")
    FRANCHISE = "franchise", _("Franchise en base de TVA (art. 293 B du CGI)")
    EXEMPT = "exempt", _("Opérations exonérées de TVA (formation, santé, enseignement…)")


class Organisation(models.Model):
    """The business that issues documents (émetteur)."""

    name = models.CharField(_("raison sociale"), max_length=200)
    trading_name = models.CharField(_("nom commercial"), max_length=200, blank=True)
    legal_form = models.CharField(
        _("forme juridique"), max_length=60, blank=True, help_text=_("Par exemple SAS, SARL, EI.")
    )
    share_capital = models.DecimalField(_("capital social (€)"), max_digits=14, decimal_places=2, null=True, blank=True)
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=20, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country_code = models.CharField(_("pays"), max_length=2, default="FR")
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20, blank=True)
    rcs_city = models.CharField(
        _("ville du RCS"),
        max_length=100,
        blank=True,
        help_text=_("Ville du greffe, par exemple « Lyon » pour « RCS Lyon »."),
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    website = models.URLField(_("site web"), blank=True)
    logo = models.BinaryField(_("logo"), null=True, blank=True)
    logo_content_type = models.CharField(max_length=20, blank=True)
    vat_regime = models.CharField(_("régime de TVA"), max_length=20, choices=VatRegime, default=VatRegime.NORMAL)
    vat_on_debits = models.BooleanField(_("option pour le paiement de la TVA d'après les débits"), default=False)
    vat_exemption = models.CharField(
        _("motif d'exonération de vos opérations"), max_length=20, choices=EXEMPT_BASIS_CHOICES, blank=True
    )
    vat_exemption_text = models.CharField(
        _("texte du motif d'exonération"),
        max_length=300,
        blank=True,
        help_text=_("Pour « Autre motif » : la base légale telle qu'elle doit être imprimée sur vos factures."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement par défaut (jours)"),
        default=30,
        help_text=_("Au plus 60 jours après la date d'émission (art. L441-10 du Code de commerce)."),
    )
    payment_terms_kind = models.CharField(
        _("règle de paiement par défaut"),
        max_length=20,
        choices=payment_terms.kind_choices(fixed_date=False),
        default=payment_terms.TermKind.NET,
    )
    payment_installments = models.CharField(
        _("échéancier par défaut"),
        max_length=200,
        blank=True,
        help_text=_("Pour la règle « Échéancier » : par exemple « 30 % à 0 j ; 70 % à 60 j »."),
    )
    # A contractual late-penalty rate replaces the legal one (ECB rate + 10 points)
    # when set; it may not be below 3 times the legal interest rate (L441-10).
    late_penalty_rate = models.DecimalField(
        _("taux contractuel des pénalités de retard (% par an)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Laissez vide pour appliquer le taux légal : taux de refinancement de la BCE majoré de 10 points. "
            "Un taux contractuel ne peut être inférieur à 3 fois le taux de l'intérêt légal."
        ),
    )
    late_penalty_text = models.TextField(
        _("mention des pénalités de retard"),
        blank=True,
        default=_(
            "En cas de retard de paiement, des pénalités sont dues au taux de la BCE "
            "majoré de 10 points, à compter du lendemain de la date d'échéance."
        ),
    )
    early_payment_text = models.CharField(
        _("conditions d'escompte"),
        max_length=300,
        blank=True,
        default=_("Pas d'escompte pour paiement anticipé."),
    )
    credit_note_series = models.ForeignKey(
        "invoicing.NumberingSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("séquence des avoirs"),
        help_text=_("Laissez vide pour numéroter les avoirs dans la même séquence que la facture qu'ils corrigent."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("entreprise")
        verbose_name_plural = _("entreprises")

    def __str__(self) -> str:
        return self.name

    @property
    def is_franchise(self) -> bool:
        return self.vat_regime == VatRegime.FRANCHISE

    def default_exemption(self) -> str:
        """Return the exemption key of the organisation's lines when its operations are exempt, else ""."""
        if self.vat_regime != VatRegime.EXEMPT:
            return ""
        return self.vat_exemption or "other"

    def exemption_wording(self) -> str:
        """Return the legal basis printed for the organisation's exempt operations."""
        if self.vat_exemption_text:
            return self.vat_exemption_text
        exemption = EXEMPTIONS.get(self.vat_exemption)
        return str(exemption.wording) if exemption else ""

    def payment_term(self) -> payment_terms.PaymentTerm:
        """Return the default payment term of new invoices."""
        return payment_terms.term_from_fields(
            self.payment_terms_kind, self.payment_terms_days, installments=self.payment_installments
        )

    def profile_is_empty(self) -> bool:
        """Tell whether the legal profile has never been filled in."""
        return not (self.siren or self.vat_number or self.address_line1 or self.city)

    def missing_for_issue(self) -> list[str]:
        """Return the labels of the profile fields an invoice cannot be issued without."""
        required = ["name", "address_line1", "postcode", "city", "siren"]
        return [
            str(self._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
            for name in required
            if not getattr(self, name)
        ]


class Role(models.TextChoices):
    OWNER = "owner", _("Propriétaire")
    MEMBER = "member", _("Membre")


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]

    def __str__(self) -> str:
        return "%s @ %s" % (self.user, self.organisation)
