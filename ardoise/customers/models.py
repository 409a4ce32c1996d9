from django.db import models
from django.utils.translation import gettext_lazy as _

from ardoise.core import payment_terms
from ardoise.core.document import Address, Party
from ardoise.core.vat import EXEMPT_BASIS_CHOICES, EXEMPTIONS, VatSituation, derive_situation


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Entreprise")
    INDIVIDUAL = "individual", _("Particulier")


class ContactRole(models.TextChoices):
    BILLING = "billing", _("Facturation")
    OTHER = "other", _("Autre")


class Customer(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="customers")
    kind = models.CharField(_("type de client"), max_length=20, choices=CustomerKind, default=CustomerKind.COMPANY)
    name = models.CharField(_("nom ou raison sociale"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail de facturation"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    address_line1 = models.CharField(_("adresse de facturation"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=20, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country_code = models.CharField(_("pays (code ISO)"), max_length=2, default="FR")
    delivery_address_line1 = models.CharField(_("adresse de livraison"), max_length=200, blank=True)
    delivery_address_line2 = models.CharField(_("complément d'adresse de livraison"), max_length=200, blank=True)
    delivery_postcode = models.CharField(_("code postal de livraison"), max_length=20, blank=True)
    delivery_city = models.CharField(_("ville de livraison"), max_length=100, blank=True)
    delivery_country_code = models.CharField(_("pays de livraison (code ISO)"), max_length=2, blank=True)
    vat_situation = models.CharField(
        _("situation au regard de la TVA"),
        max_length=20,
        choices=[("", _("Automatique (d'après le pays, le type et le numéro de TVA)")), *VatSituation.choices],
        blank=True,
    )
    vat_exemption = models.CharField(
        _("motif d'exonération du client"), max_length=20, choices=EXEMPT_BASIS_CHOICES, blank=True
    )
    vat_exemption_text = models.CharField(
        _("texte du motif d'exonération du client"),
        max_length=300,
        blank=True,
        help_text=_("Pour « Autre motif » : la base légale telle qu'elle doit être imprimée sur les factures."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"),
        null=True,
        blank=True,
        help_text=_("Laissez vide pour appliquer le délai par défaut de l'entreprise."),
    )
    payment_terms_kind = models.CharField(
        _("règle de paiement"),
        max_length=20,
        choices=[("", _("Celle de l'entreprise")), *payment_terms.kind_choices(fixed_date=False)],
        blank=True,
    )
    payment_installments = models.CharField(
        _("échéancier"),
        max_length=200,
        blank=True,
        help_text=_("Pour la règle « Échéancier » : par exemple « 30 % à 0 j ; 70 % à 60 j »."),
    )
    notes = models.TextField(_("notes internes"), blank=True)
    email_cc = models.CharField(
        _("copie des e-mails à"),
        max_length=500,
        blank=True,
        help_text=_("Adresses mises en copie de chaque document envoyé, séparées par des virgules."),
    )
    email_bcc = models.CharField(
        _("copie cachée des e-mails à"),
        max_length=500,
        blank=True,
        help_text=_(
            "Adresses mises en copie cachée de chaque document envoyé, séparées par des virgules, "
            "par exemple votre logiciel comptable."
        ),
    )
    auto_send_invoices = models.BooleanField(
        _("Envoyer automatiquement les factures à l'émission"),
        default=False,
        help_text=_(
            "Chaque facture ou avoir émis pour ce client part aussitôt par e-mail à ses contacts de facturation."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organisation", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:detail", args=[self.pk])

    def payment_term(self) -> payment_terms.PaymentTerm | None:
        """Return the customer's own payment term, or None to use the organisation's.

        A number of days without a rule is the form of older versions: « à N jours ».
        """
        if self.payment_terms_kind:
            return payment_terms.term_from_fields(
                self.payment_terms_kind, self.payment_terms_days, installments=self.payment_installments
            )
        if self.payment_terms_days is not None:
            return payment_terms.PaymentTerm.net(self.payment_terms_days)
        return None

    @property
    def is_company(self) -> bool:
        return self.kind == CustomerKind.COMPANY

    def derived_vat_situation(self) -> VatSituation:
        return derive_situation(self.country_code, self.is_company, self.vat_number)

    def effective_vat_situation(self) -> VatSituation:
        """Return the situation chosen on the customer form, else the one its country, type and VAT number imply."""
        if self.vat_situation:
            return VatSituation(self.vat_situation)
        return self.derived_vat_situation()

    def delivery_country(self) -> str:
        """Return the country the goods are delivered to: the delivery address's, else the billing one's."""
        return (self.delivery_country_code or self.country_code or "FR").upper()

    def exemption_wording(self) -> str:
        """Return the legal basis printed for a customer whose purchases are exempt."""
        if self.vat_exemption_text:
            return self.vat_exemption_text
        exemption = EXEMPTIONS.get(self.vat_exemption)
        return str(exemption.wording) if exemption else ""

    def billing_address(self) -> Address:
        return Address(
            line1=self.address_line1,
            line2=self.address_line2,
            postcode=self.postcode,
            city=self.city,
            country_code=self.country_code or "FR",
        )

    def delivery_address(self) -> Address | None:
        """Return the delivery address when it differs from the billing address."""
        if not (self.delivery_address_line1 or self.delivery_city):
            return None
        address = Address(
            line1=self.delivery_address_line1,
            line2=self.delivery_address_line2,
            postcode=self.delivery_postcode,
            city=self.delivery_city,
            country_code=self.delivery_country_code or self.country_code or "FR",
        )
        return None if address == self.billing_address() else address

    def to_party(self) -> Party:
        return Party(
            name=self.name,
            address=self.billing_address(),
            siren=self.siren,
            siret=self.siret,
            vat_number=self.vat_number,
            email=self.email,
            phone=self.phone,
            is_company=self.is_company,
        )


class Contact(models.Model):
    """A person at a customer; billing contacts receive the documents sent by e-mail."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("nom"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("rôle"), max_length=20, choices=ContactRole, default=ContactRole.BILLING)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["id"]

    def __str__(self) -> str:
        return "%s <%s>" % (self.name, self.email) if self.name else self.email

    @property
    def is_billing(self) -> bool:
        return self.role == ContactRole.BILLING
