"""In-process validation of EN 16931 CII and UBL XML, in three layers.

1. The XML schema (XSD): the Factur-X EN 16931 profile for CII, UBL 2.1
   Invoice or CreditNote for UBL, with lxml.
2. The EN 16931 schematron (with the Factur-X rules for CII), compiled to
   XSLT, run by Saxon.
3. The French BR-FR schematron of the same syntax, compiled to XSLT, run by
   Saxon.

The schematrons and the XSDs of both syntaxes ship with the factur-x package. Their results
are SVRL documents, read here into ``ValidationIssue`` objects with a French
explanation. Only failed assertions count: warnings never fail validation.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import facturx
from django.utils.translation import gettext as _
from lxml import etree
from saxonche import PySaxonProcessor, PyXslt30Processor, PyXsltExecutable

from ardoise.core.document import InvoiceDocument
from ardoise.einvoice.attachment import XML_RELATIONSHIPS, find_invoice_xml
from ardoise.einvoice.errors import InvoiceFileError
from ardoise.einvoice.messages import explain
from ardoise.einvoice.ubl import UBL_CREDIT_NOTE_ROOT
from ardoise.einvoice.xmlsafe import parse_untrusted_xml

logger = logging.getLogger(__name__)

LAYER_XML = "xml"  # well-formedness and safety of the XML itself
LAYER_PDF = "pdf"  # the Factur-X PDF envelope
LAYER_XSD = "xsd"
LAYER_EN16931 = "en16931"  # EN 16931 and Factur-X rules
LAYER_BR_FR = "br-fr"  # French rules

ERROR = "error"
WARNING = "warning"

SCHEMA_DIR = Path(facturx.__file__).parent / "xsd_and_schematron"
XSD_PATH = SCHEMA_DIR / "facturx-en16931" / "Factur-X_EN16931.xsd"
EN16931_XSLT_PATH = SCHEMA_DIR / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
EN16931_CODEDB_PATH = SCHEMA_DIR / "facturx-en16931" / "FACTUR-X_EN16931_codedb.xml"
BR_FR_XSLT_PATH = SCHEMA_DIR / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"
UBL_DIR = SCHEMA_DIR / "ubl-2.1"
UBL_INVOICE_XSD_PATH = UBL_DIR / "maindoc" / "UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE_XSD_PATH = UBL_DIR / "maindoc" / "UBL-CreditNote-2.1.xsd"
UBL_EN16931_XSLT_PATH = UBL_DIR / "EN16931-UBL-validation.xslt"
UBL_BR_FR_XSLT_PATH = UBL_DIR / "BR-FR-Flux2-Schematron-UBL.xslt"

CII = "cii"
UBL = "ubl"
SCHEMA_NAMES = {CII: "Factur-X EN 16931", UBL: "UBL 2.1"}

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
SVRL_FAILED_ASSERT = f"{{{SVRL_NS}}}failed-assert"
SVRL_SUCCESSFUL_REPORT = f"{{{SVRL_NS}}}successful-report"  # a report is a failure too
SVRL_TEXT = f"{{{SVRL_NS}}}text"
SVRL_ACTIVE_PATTERN = f"{{{SVRL_NS}}}active-pattern"
SVRL_FIRED_RULE = f"{{{SVRL_NS}}}fired-rule"
CODEDB_PARAM = "ardoise-codedb"


@dataclass(frozen=True)
class ValidationIssue:
    """A failed rule: where, which rule, its original text and a French explanation."""

    rule: str  # e.g. "BR-CO-10", "BR-FR-12", "XSD"
    layer: str
    message: str  # French, for the user
    text: str = ""  # the rule's own text, English for EN 16931
    location: str = ""  # simplified XPath of the element at fault
    severity: str = ERROR
    assertion_id: str = ""  # the schematron's id, e.g. "BR-FR-05_BT-22_PMT"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: errors fail it, warnings do not."""

    errors: tuple[ValidationIssue, ...] = ()
    warnings: tuple[ValidationIssue, ...] = ()
    layers: tuple[str, ...] = field(default=())  # the layers that ran

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rules(self) -> set[str]:
        """Return the ids of the rules that failed with an error."""
        return {issue.rule for issue in self.errors}

    def messages(self) -> list[str]:
        """Return one French line per error, with its rule id, for display."""
        return [f"{issue.message} ({issue.rule})" for issue in self.errors]


def french_rules_apply(doc: InvoiceDocument) -> bool:
    """Tell whether the French rules (BR-FR) apply: both the seller and the buyer are in France.

    The French e-invoicing reform covers domestic B2B invoices. An invoice to
    a foreign buyer is e-reported instead, so its foreign VAT rates or
    missing French identifiers are no error.
    """
    return doc.seller.address.country_code == "FR" and doc.buyer.address.country_code == "FR"


def validate_cii(xml: bytes, *, filename: str = "factur-x.xml", french_rules: bool = True) -> ValidationReport:
    """Validate CII XML against the XSD, the EN 16931 rules and the French rules.

    The schematrons run only when the XSD accepts the XML: on a document of
    the wrong shape their results would be noise. ``french_rules=False``
    skips the BR-FR layer, for invoices that are not French.
    """
    return _validate(xml, filename, french_rules, CII)


def validate_ubl(xml: bytes, *, filename: str = "facture-ubl.xml", french_rules: bool = True) -> ValidationReport:
    """Validate a UBL 2.1 Invoice or CreditNote against its XSD, the EN 16931 rules and the French rules.

    The layers run as in ``validate_cii``.
    """
    return _validate(xml, filename, french_rules, UBL)


def validate_facturx_pdf(pdf: bytes, *, filename: str = "facture.pdf") -> ValidationReport:
    """Validate the XML embedded in a Factur-X PDF, and the attachment's name and relationship."""
    try:
        attachment = find_invoice_xml(pdf, filename)
    except InvoiceFileError as error:
        return ValidationReport(
            errors=(ValidationIssue(rule="FX-PDF", layer=LAYER_PDF, message=error.message),),
            layers=(LAYER_PDF,),
        )

    pdf_issues = []
    if not attachment.has_facturx_name:
        pdf_issues.append(
            ValidationIssue(
                rule="FX-PDF-NAME",
                layer=LAYER_PDF,
                message=_(
                    "La pièce jointe XML du PDF s'appelle « %(name)s » : une facture Factur-X "
                    "doit la nommer exactement « factur-x.xml »."
                )
                % {"name": attachment.name},
                location=attachment.name,
            )
        )
    if attachment.relationship not in XML_RELATIONSHIPS:
        pdf_issues.append(
            ValidationIssue(
                rule="FX-PDF-AFRELATIONSHIP",
                layer=LAYER_PDF,
                message=_(
                    "La pièce jointe « %(name)s » a la relation %(relationship)s au lieu de "
                    "Data, Alternative ou Source."
                )
                % {"name": attachment.name, "relationship": attachment.relationship},
                location=attachment.name,
                severity=WARNING,
            )
        )

    report = validate_cii(attachment.content, filename=attachment.name)
    return _merge(pdf_issues, report, LAYER_PDF)


def warm_up() -> None:
    """Compile the XSD and both schematrons now rather than on the first validation."""
    with _lock:
        _load_validators()


def _merge(issues: list[ValidationIssue], report: ValidationReport, layer: str) -> ValidationReport:
    return ValidationReport(
        errors=tuple(i for i in issues if i.severity == ERROR) + report.errors,
        warnings=tuple(i for i in issues if i.severity == WARNING) + report.warnings,
        layers=(layer, *report.layers),
    )


def _validate(xml: bytes, filename: str, french_rules: bool, syntax: str) -> ValidationReport:
    try:
        root = parse_untrusted_xml(xml, filename)
    except InvoiceFileError as error:
        return ValidationReport(
            errors=(ValidationIssue(rule="XML", layer=LAYER_XML, message=error.message),),
            layers=(LAYER_XML,),
        )
    return _validate_tree(root, french_rules, syntax)


def _validate_tree(root: etree._Element, french_rules: bool, syntax: str) -> ValidationReport:
    # Saxon parses a fresh serialisation of the tree that lxml already
    # accepted, never the raw upload: it has no DOCTYPE and no entity left.
    xml_text = etree.tostring(root, encoding="unicode")
    with _lock:
        validators = _load_validators()
        xsd_log = validators.check_xsd(root, syntax)
        svrl_by_layer = {}
        if not xsd_log:
            svrl_by_layer = validators.run_schematrons(xml_text, french_rules, syntax)

    issues = list(_xsd_issues(xsd_log, SCHEMA_NAMES[syntax]))
    for layer, svrl in svrl_by_layer.items():
        issues.extend(_svrl_issues(svrl, layer))
    return ValidationReport(
        errors=tuple(i for i in issues if i.severity == ERROR),
        warnings=tuple(i for i in issues if i.severity == WARNING),
        layers=(LAYER_XSD, *svrl_by_layer),
    )


# One lock serialises every use of the validators. lxml's XMLSchema keeps its
# error log on the schema object, so only one validation at a time may use it.
# With SaxonC-HE 13.1 (saxonche), running cloned executables from several
# threads crashed the process (segmentation fault). Four threads sharing one
# executable ran 200 transformations slower than one thread did (1.8 s against
# 1.3 s on the 2-core development machine), so the lock costs no throughput.
_lock = threading.Lock()
_validators: _Validators | None = None


def _load_validators() -> _Validators:
    global _validators
    if _validators is None:
        _validators = _Validators()
    return _validators


class _Validators:
    """The XSDs and the schematrons of both syntaxes, compiled once per process."""

    def __init__(self) -> None:
        self.schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
        self.ubl_invoice_schema = etree.XMLSchema(etree.parse(str(UBL_INVOICE_XSD_PATH)))
        self.ubl_credit_note_schema = etree.XMLSchema(etree.parse(str(UBL_CREDIT_NOTE_XSD_PATH)))
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()

        en16931_text = _with_codedb_parameter(EN16931_XSLT_PATH.read_text(encoding="utf-8"))
        self.en16931 = compiler.compile_stylesheet(stylesheet_text=_without_progress_output(en16931_text))
        self.en16931.set_parameter(CODEDB_PARAM, self.processor.parse_xml(xml_file_name=str(EN16931_CODEDB_PATH)))
        self.br_fr = _compile(compiler, BR_FR_XSLT_PATH)
        self.ubl_en16931 = _compile(compiler, UBL_EN16931_XSLT_PATH)
        self.ubl_br_fr = _compile(compiler, UBL_BR_FR_XSLT_PATH)
        logger.info("Compiled the CII and UBL XSDs and schematrons")

    def check_xsd(self, root: etree._Element, syntax: str) -> list[etree._LogEntry]:
        schema = self.schema
        if syntax == UBL:
            # A root that is neither Invoice nor CreditNote fails the Invoice schema.
            schema = self.ubl_credit_note_schema if root.tag == UBL_CREDIT_NOTE_ROOT else self.ubl_invoice_schema
        if schema.validate(root):
            return []
        return list(schema.error_log)

    def run_schematrons(self, xml_text: str, french_rules: bool, syntax: str) -> dict[str, str]:
        en16931, br_fr = (self.ubl_en16931, self.ubl_br_fr) if syntax == UBL else (self.en16931, self.br_fr)
        node = self.processor.parse_xml(xml_text=xml_text)
        results = {LAYER_EN16931: _transform(en16931, node)}
        if french_rules:
            results[LAYER_BR_FR] = _transform(br_fr, node)
        return results


def _compile(compiler: PyXslt30Processor, path: Path) -> PyXsltExecutable:
    # None of these stylesheets loads another file, so compiling the text
    # instead of the file loses nothing.
    return compiler.compile_stylesheet(stylesheet_text=_without_progress_output(path.read_text(encoding="utf-8")))


def _without_progress_output(stylesheet: str) -> str:
    """Remove the SVRL elements that only trace the schematron's progress.

    A compiled schematron writes an ``svrl:active-pattern`` per pattern, each
    one walking the whole invoice again, and an ``svrl:fired-rule`` per rule
    context it meets. Ardoise reads only failed assertions and successful
    reports, which stay as they are. Without the trace, a transformation of a
    10-line invoice takes about 40 % less time (``bench/bench_validation.py``),
    and the tests compare the results with the original stylesheets.
    """
    root = etree.fromstring(stylesheet.encode("utf-8"))
    trace = list(root.iter(SVRL_ACTIVE_PATTERN, SVRL_FIRED_RULE))
    if not trace:
        raise RuntimeError("The schematron stylesheet no longer writes its trace as expected.")
    for element in trace:
        parent = element.getparent()
        assert parent is not None
        # Keep the whitespace that follows the element, which lxml stores on it.
        previous = element.getprevious()
        if element.tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)
    return etree.tostring(root, encoding="unicode")


def _transform(executable: PyXsltExecutable, node: object) -> str:
    return executable.transform_to_string(xdm_node=node)


def _with_codedb_parameter(stylesheet: str) -> str:
    """Make the EN 16931 stylesheet read its code lists from a parameter.

    The stylesheet calls ``document('FACTUR-X_EN16931_codedb.xml')`` in 118
    code-list rules, and Saxon parses that 180 KB file again in every
    transformation. Passing the document, parsed once, as a global parameter
    brings a one-line invoice from about 18 ms to about 7 ms on the 2-core
    development machine. The tests check that the results are unchanged.
    """
    call = "document('FACTUR-X_EN16931_codedb.xml')"
    if call not in stylesheet:
        raise RuntimeError("The EN 16931 stylesheet no longer loads its code lists as expected.")
    stylesheet = stylesheet.replace(call, "$" + CODEDB_PARAM)
    start_tag_end = stylesheet.index(">", stylesheet.index("<xsl:stylesheet")) + 1
    declaration = f'<xsl:param name="{CODEDB_PARAM}" as="document-node()" required="yes"/>'
    return stylesheet[:start_tag_end] + declaration + stylesheet[start_tag_end:]


def _xsd_issues(log: Iterable[etree._LogEntry], schema_name: str) -> Iterator[ValidationIssue]:
    for entry in log:
        yield ValidationIssue(
            rule="XSD",
            layer=LAYER_XSD,
            message=_("Le XML ne respecte pas le schéma %(schema)s (ligne %(line)s) : %(error)s")
            % {"schema": schema_name, "line": entry.line, "error": entry.message},
            text=entry.message,
            location=_readable_location(entry.path or ""),
        )


_FRENCH_RULE = re.compile(r"^BR-FR-(?:[A-Z]+-)?\d+")
_BRACKETED_RULE = re.compile(r"^\[([A-Z0-9-]+)\]")


def _svrl_issues(svrl: str, layer: str) -> Iterator[ValidationIssue]:
    root = etree.fromstring(svrl.encode("utf-8"))
    for node in root.iter(SVRL_FAILED_ASSERT, SVRL_SUCCESSFUL_REPORT):
        assertion_id = node.get("id", "")
        text_node = node.find(SVRL_TEXT)
        text = " ".join("".join(text_node.itertext()).split()) if text_node is not None else ""
        rule = _rule_id(assertion_id, text)
        yield ValidationIssue(
            rule=rule,
            layer=layer,
            message=explain(rule, assertion_id, text),
            text=text,
            location=_readable_location(node.get("location", "")),
            severity=WARNING if node.get("flag") in ("warning", "information") else ERROR,
            assertion_id=assertion_id,
        )


def _rule_id(assertion_id: str, text: str) -> str:
    # BR-FR assertion ids append the business term ("BR-FR-10_BT-30");
    # the rule is the part users and documentation refer to.
    match = _FRENCH_RULE.match(assertion_id)
    if match:
        return match.group(0)
    if assertion_id:
        return assertion_id
    match = _BRACKETED_RULE.match(text)
    return match.group(1) if match else "FX-SCH"


_NAMESPACED_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")
_NAMESPACED_ATTRIBUTE = re.compile(r"@\*\[local-name\(\)='([\w.-]+)' and namespace-uri\(\)='[^']*'\]")
_CLARK_NAME = re.compile(r"\{[^}]*\}")


def _readable_location(location: str) -> str:
    """Turn the schematron's namespace-proof XPath into a short one.

    "/*:CrossIndustryInvoice[namespace-uri()='…'][1]/*:ExchangedDocument[…][1]/*:ID[…][1]"
    becomes "/CrossIndustryInvoice/ExchangedDocument/ID".
    """
    location = _NAMESPACED_STEP.sub(r"\1", location)
    location = _NAMESPACED_ATTRIBUTE.sub(r"@\1", location)
    location = _CLARK_NAME.sub("", location)
    return location.replace("[1]", "")
