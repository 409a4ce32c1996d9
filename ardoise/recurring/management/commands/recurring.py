"""``ardoise recurring``: list, create from a JSON file, show, pause and resume recurring plans; price indices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount, format_date
from ardoise.customers.models import Customer
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.forms import LINES_PREFIX, DraftForm, LineFormSet
from ardoise.invoicing.models import Invoice
from ardoise.recurring import indexation, services
from ardoise.recurring.forms import IndexValueForm, PlanForm, PriceIndexForm
from ardoise.recurring.models import PriceIndex, RecurringPlan

# The keys of the JSON file and the form fields they fill.
PLAN_KEYS = {
    "name": "name",
    "frequency": "frequency",
    "interval": "interval",
    "start_date": "start_date",
    "end_date": "end_date",
    "occurrences": "occurrences_limit",
    "auto_issue": "auto_issue",
    "auto_send": "auto_send",
    "revision_percent": "revision_percent",
    "revision_kind": "revision_kind",
    "index_base_period": "index_base_period",
    "index_base_value": "index_base_value",
    "revision_date": "revision_date",
    "revision_every_months": "revision_every_months",
}
INVOICE_KEYS = ("payment_terms_days", "purchase_order", "notes", "currency")
LINE_KEYS = (
    "name",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "vat_rate",
    "exemption",
    "discount_percent",
    "kind",
)
KNOWN_KEYS = {*PLAN_KEYS, *INVOICE_KEYS, "customer", "lines", "price_index"}


class Command(FrenchCommand):
    help = (
        "Gérer les abonnements (facturation récurrente) : lister, créer depuis un fichier JSON, afficher, "
        "mettre en pause, reprendre."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="Lister les abonnements et leur prochaine date.")
        creating = actions.add_parser(
            "create", help="Créer un abonnement décrit dans un fichier JSON (voir docs/guide/abonnements.md)."
        )
        creating.add_argument("file", metavar="FICHIER", help="Fichier JSON de l'abonnement.")
        for name, text in (
            ("show", "Afficher un abonnement, ses prochaines dates et ses factures."),
            ("pause", "Mettre un abonnement en pause."),
            ("resume", "Reprendre un abonnement en pause, à partir d'aujourd'hui."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("id", metavar="ID", type=int, help="Identifiant de l'abonnement, affiché par « list ».")
        self._add_index_arguments(actions)

    def _add_index_arguments(self, actions: Any) -> None:
        index = actions.add_parser("index", help="Gérer les indices de prix des révisions (Syntec, BT01…).")
        index_actions = index.add_subparsers(dest="index_action", required=True, metavar="ACTION")
        index_actions.add_parser("list", help="Lister les indices et leur dernière valeur.")
        adding = index_actions.add_parser("add", help="Créer un indice.")
        adding.add_argument("name", metavar="NOM", help="Nom de l'indice, tel qu'il figure au contrat.")
        adding.add_argument(
            "--periodicity",
            choices=["monthly", "quarterly", "yearly"],
            default="monthly",
            help="Une valeur par mois (monthly, par défaut), par trimestre (quarterly) ou par an (yearly).",
        )
        adding.add_argument("--source", default="", help="Où vous relevez ses valeurs, pour mémoire.")
        setting = index_actions.add_parser(
            "set", help="Saisir ou corriger la valeur d'une période ; les factures qui l'attendaient sont révisées."
        )
        setting.add_argument("name", metavar="NOM", help="Nom de l'indice.")
        setting.add_argument("period", metavar="PERIODE", help="2025-08 (mois), 2025-T3 (trimestre) ou 2025 (année).")
        setting.add_argument("value", metavar="VALEUR", help="Valeur publiée, par exemple 296.3 ou 296,3.")
        showing = index_actions.add_parser("show", help="Afficher les valeurs d'un indice.")
        showing.add_argument("name", metavar="NOM", help="Nom de l'indice.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        getattr(self, "handle_%s" % options["action"])(organisation, options)

    def handle_index(self, organisation: Any, options: dict[str, Any]) -> None:
        getattr(self, "handle_index_%s" % options["index_action"])(organisation, options)

    def handle_index_list(self, organisation: Any, options: dict[str, Any]) -> None:
        indices = PriceIndex.objects.filter(organisation=organisation).order_by("name")
        if not indices:
            self.stdout.write(_("Aucun indice : « ardoise recurring index add NOM » en crée un."))
            return
        for index in indices:
            last = index.values.order_by("-period").first()
            self.stdout.write(
                "%s\t%s\t%s"
                % (
                    index.name,
                    index.get_periodicity_display(),
                    "%s = %s" % (index.format_period(last.period), indexation.format_index_value(last.value))
                    if last is not None
                    else _("aucune valeur"),
                )
            )

    def handle_index_add(self, organisation: Any, options: dict[str, Any]) -> None:
        form = PriceIndexForm(
            {"name": options["name"], "periodicity": options["periodicity"], "source": options["source"]},
            organisation=organisation,
        )
        if not form.is_valid():
            raise CommandError(_("L'indice n'a pas été créé :") + "\n" + "\n".join(_form_problems(form, "")))
        index = services.create_index(
            organisation, form.cleaned_data["name"], form.cleaned_data["periodicity"], form.cleaned_data["source"]
        )
        self.stdout.write(
            _("Indice « %(name)s » créé (%(periodicity)s).")
            % {"name": index.name, "periodicity": index.get_periodicity_display()}
        )

    def handle_index_set(self, organisation: Any, options: dict[str, Any]) -> None:
        index = find_index(organisation, options["name"])
        form = IndexValueForm({"period": options["period"], "value": options["value"]}, index=index)
        if not form.is_valid():
            raise CommandError(_("La valeur n'a pas été enregistrée :") + "\n" + "\n".join(_form_problems(form, "")))
        period, value = form.cleaned_data["period"], form.cleaned_data["value"]
        _row, released = services.set_index_value(index, period, value)
        self.stdout.write(
            _("%(index)s, %(period)s : %(value)s enregistré.")
            % {
                "index": index.name,
                "period": index.format_period(period),
                "value": indexation.format_index_value(value),
            }
        )
        if released:
            self.stdout.write(
                _("%(count)s facture(s) d'abonnement en attente de cette valeur sont révisées.") % {"count": released}
            )

    def handle_index_show(self, organisation: Any, options: dict[str, Any]) -> None:
        index = find_index(organisation, options["name"])
        self.stdout.write(
            _("Indice %(name)s (%(periodicity)s)")
            % {"name": index.name, "periodicity": index.get_periodicity_display()}
        )
        for row in index.values.order_by("period"):
            self.stdout.write(
                "  %s\t%s\t%s"
                % (
                    indexation.period_code(row.period, index.periodicity),
                    index.format_period(row.period),
                    indexation.format_index_value(row.value),
                )
            )
        for occurrence in services.waiting_occurrences(organisation).filter(plan__price_index=index):
            self.stdout.write(_("En attente : %(problem)s") % {"problem": occurrence.revision_problem})

    def handle_list(self, organisation: Any, options: dict[str, Any]) -> None:
        plans = RecurringPlan.objects.filter(organisation=organisation).select_related("customer", "template")
        if not plans:
            self.stdout.write(_("Aucun abonnement."))
            return
        for plan in plans.order_by("id"):
            self.stdout.write(
                "%s\t%s\t%s\t%s\t%s\t%s"
                % (
                    plan.pk,
                    plan.name,
                    plan.customer.name,
                    plan.period_label,
                    format_amount(plan.template.amount_due, plan.template.currency),
                    _state(plan),
                )
            )

    def handle_show(self, organisation: Any, options: dict[str, Any]) -> None:
        plan = find_plan(organisation, options["id"])
        self.stdout.write(_("Abonnement %(id)s : %(name)s") % {"id": plan.pk, "name": plan.name})
        self.stdout.write(_("Client : %(customer)s") % {"customer": plan.customer.name})
        self.stdout.write(
            _("Fréquence : %(period)s, depuis le %(start)s")
            % {"period": plan.period_label, "start": format_date(plan.start_date)}
        )
        self.stdout.write(_("État : %(state)s") % {"state": _state(plan)})
        self.stdout.write(
            _("Montant par facture : %(amount)s TTC")
            % {"amount": format_amount(plan.template.amount_due, plan.template.currency)}
        )
        self.stdout.write(_("Révision des prix : %(text)s") % {"text": services.describe_revision(plan)})
        if plan.is_active:
            dates = ", ".join(format_date(date) for date in plan.upcoming(6)) or _("aucune")
            self.stdout.write(_("Prochaines dates : %(dates)s") % {"dates": dates})
        for occurrence in services.history(plan):
            invoice = occurrence.invoice
            self.stdout.write(
                "  %s\t%s\t%s"
                % (
                    format_date(occurrence.date),
                    invoice if invoice is not None else _("brouillon supprimé"),
                    format_amount(invoice.amount_due, invoice.currency) if invoice is not None else "",
                )
            )
            if occurrence.revision_problem:
                self.stdout.write("    " + _("En attente : %(problem)s") % {"problem": occurrence.revision_problem})

    def handle_pause(self, organisation: Any, options: dict[str, Any]) -> None:
        plan = find_plan(organisation, options["id"])
        if services.pause(plan):
            self.stdout.write(_("Abonnement %(id)s mis en pause.") % {"id": plan.pk})
        else:
            self.stdout.write(_("L'abonnement %(id)s était déjà en pause.") % {"id": plan.pk})

    def handle_resume(self, organisation: Any, options: dict[str, Any]) -> None:
        plan = find_plan(organisation, options["id"])
        if not services.resume(plan):
            self.stdout.write(_("L'abonnement %(id)s n'était pas en pause.") % {"id": plan.pk})
            return
        following = format_date(plan.next_date) if plan.next_date else _("aucune, l'abonnement est terminé")
        self.stdout.write(
            _("Abonnement %(id)s repris. Prochaine facture : %(date)s.") % {"id": plan.pk, "date": following}
        )

    def handle_create(self, organisation: Any, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Le fichier « %(path)s » est introuvable.") % {"path": path})
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(
                _("Le fichier « %(path)s » n'est pas un JSON valide (%(error)s) : vérifiez sa syntaxe.")
                % {"path": path, "error": error}
            ) from None
        plan = create_from_json(organisation, content)
        self.stdout.write(
            _("Abonnement %(id)s « %(name)s » créé. Première facture : %(date)s.")
            % {"id": plan.pk, "name": plan.name, "date": format_date(plan.next_date) if plan.next_date else "—"}
        )


def _state(plan: RecurringPlan) -> str:
    if not plan.is_active:
        return _("en pause")
    if plan.next_date is None:
        return _("terminé")
    return _("actif, prochaine facture le %(date)s") % {"date": format_date(plan.next_date)}


def find_plan(organisation: Any, plan_id: int) -> RecurringPlan:
    plan = (
        RecurringPlan.objects.filter(organisation=organisation, pk=plan_id)
        .select_related("customer", "template")
        .first()
    )
    if plan is None:
        raise CommandError(
            _("Aucun abonnement n° %(id)s dans cette entreprise : « ardoise recurring list » les affiche.")
            % {"id": plan_id}
        )
    return plan


def find_index(organisation: Any, name: Any) -> PriceIndex:
    index = PriceIndex.objects.filter(organisation=organisation, name__iexact=str(name or "").strip()).first()
    if index is None:
        raise CommandError(
            _("Aucun indice « %(name)s » dans cette entreprise : « ardoise recurring index list » les affiche.")
            % {"name": name}
        )
    return index


def find_customer(organisation: Any, value: Any) -> Customer:
    customers = Customer.objects.filter(organisation=organisation)
    text = str(value or "").strip()
    found = customers.filter(siren=text).first() if text else None
    if found is None and text.isdigit():
        found = customers.filter(pk=int(text)).first()
    if found is None and text:
        matches = list(customers.filter(name=text)[:2])
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise CommandError(
            _(
                "« customer » : aucun client ne correspond à « %(value)s ». "
                "Indiquez son SIREN, son identifiant ou son nom exact."
            )
            % {"value": text}
        )
    return found


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def create_from_json(organisation: Any, content: Any) -> RecurringPlan:
    """Create a plan from the JSON format of docs/guide/abonnements.md, validated by the web editor's forms."""
    if not isinstance(content, dict):
        raise CommandError(_("Le fichier doit contenir un objet JSON { … } décrivant l'abonnement."))
    unknown = sorted(set(content) - KNOWN_KEYS)
    if unknown:
        raise CommandError(
            _("Clé(s) inconnue(s) : %(keys)s. Clés possibles : %(known)s.")
            % {"keys": ", ".join(unknown), "known": ", ".join(sorted(KNOWN_KEYS))}
        )
    lines = content.get("lines")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        raise CommandError(_('« lines » doit être une liste d\'au moins une ligne { "name": …, "unit_price": … }.'))
    customer = find_customer(organisation, content.get("customer"))

    plan_data = {"plan-%s" % field: _text(content.get(key)) for key, field in PLAN_KEYS.items()}
    if content.get("price_index") not in (None, ""):
        plan_data["plan-price_index"] = str(find_index(organisation, content["price_index"]).pk)
    if "revision_every_months" not in content:
        plan_data["plan-revision_every_months"] = "12"
    plan_data.setdefault("plan-interval", "1")
    if "interval" not in content:
        plan_data["plan-interval"] = "1"
    if "auto_issue" not in content:
        plan_data["plan-auto_issue"] = "on"
    plan_form = PlanForm(plan_data, instance=RecurringPlan(organisation=organisation), prefix="plan")

    template = Invoice(organisation=organisation)
    invoice_data = {key: _text(content.get(key)) for key in INVOICE_KEYS}
    invoice_data.update(customer=str(customer.pk), discount_kind="percent", discount_value="0")
    form = DraftForm(invoice_data, instance=template, organisation=organisation)
    line_data: dict[str, str] = {
        "%s-TOTAL_FORMS" % LINES_PREFIX: str(len(lines)),
        "%s-INITIAL_FORMS" % LINES_PREFIX: "0",
    }
    for index, line in enumerate(lines):
        extra = sorted(set(line) - set(LINE_KEYS))
        if extra:
            raise CommandError(
                _("Ligne %(position)s : clé(s) inconnue(s) %(keys)s. Clés possibles : %(known)s.")
                % {"position": index + 1, "keys": ", ".join(extra), "known": ", ".join(LINE_KEYS)}
            )
        defaults = {"quantity": "1", "unit": "C62", "vat_rate": "20.00", "discount_percent": "0", "kind": "service"}
        for key in LINE_KEYS:
            value = line.get(key, defaults.get(key, ""))
            if key == "vat_rate" and value not in ("", None):
                value = "%.2f" % float(str(value).replace(",", ".")) if _is_number(value) else value
            line_data["%s-%d-%s" % (LINES_PREFIX, index, key)] = _text(value)
    formset = LineFormSet(line_data, instance=template, prefix=LINES_PREFIX, organisation=organisation)

    problems = []
    for bound, where in ((plan_form, ""), (form, "")):
        if not bound.is_valid():
            problems += _form_problems(bound, where)
    if not formset.is_valid():
        for index, line_form in enumerate(formset.forms):
            problems += _form_problems(line_form, _("ligne %(position)s, ") % {"position": index + 1})
        problems += [str(error) for error in formset.non_form_errors()]
    if problems:
        raise CommandError(_("L'abonnement n'a pas été créé :") + "\n" + "\n".join("  - %s" % p for p in problems))
    if plan_form.cleaned_data["auto_send"] and not customer.email:
        raise CommandError(
            _(
                "Le client « %(customer)s » n'a pas d'adresse e-mail de facturation : "
                'indiquez-la ou mettez "auto_send": false.'
            )
            % {"customer": customer.name}
        )
    invoice = form.save(commit=False)
    lines_to_save = [line_form.save(commit=False) for line_form in formset.forms]
    try:
        return services.save_plan(plan_form.save(commit=False), invoice, lines_to_save)
    except InvoicingError as error:
        raise CommandError(error.message) from None


def _is_number(value: Any) -> bool:
    try:
        float(str(value).replace(",", "."))
    except ValueError:
        return False
    return True


def _form_problems(form: Any, where: str) -> list[str]:
    """Name each error by its JSON key, so that the user knows what to fix in the file."""
    json_names = {field: key for key, field in PLAN_KEYS.items()}
    problems = []
    for field, errors in form.errors.items():
        name = json_names.get(field, field)
        for error in errors:
            problems.append("%s« %s » : %s" % (where, name, error) if field != "__all__" else "%s%s" % (where, error))
    return problems
