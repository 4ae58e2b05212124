"""The accounts export: invoices and credit notes as Xero's CSV imports read them.

Xero imports sales invoices and credit notes separately (Sales > Invoices > Import, and the
Credit notes tab's Import), from templates with the same columns except that a credit note has
*CreditNoteNumber and *CreditNoteDate instead of *InvoiceNumber and *InvoiceDate, and no due
date; credit note amounts are entered as positive numbers (Xero knows they are credits). One
row per line; lines of one document share its number; dates DD/MM/YYYY; amounts exclude VAT
("Tax exclusive" when importing), with each line's VAT in TaxAmount so Xero's totals match ours
to the penny. A selection of both kinds downloads as a zip of the two files.
"""

import csv
import io
import re
import zipfile

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from core.money import money
from core.spreadsheets import csv_cell

from .models import Invoice
from .text import quantity_text

ADDRESS = ["POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity", "PORegion"]
LINE = [
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
]
INVOICE_COLUMNS = [
    "*ContactName",
    "EmailAddress",
    *ADDRESS,
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    *LINE,
]
CREDIT_NOTE_COLUMNS = [
    "*ContactName",
    "EmailAddress",
    *ADDRESS,
    "POPostalCode",
    "POCountry",
    "*CreditNoteNumber",
    "Reference",
    "*CreditNoteDate",
    *LINE,
]

# A UK postcode at the end of a line: "IP4 5PD", "SW1A 1AA", "m1 1ae".
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$", re.IGNORECASE)


def split_address(text):
    """A typed invoice address as Xero's address columns: up to four lines, the town, the postcode.

    "Finance, 1 Hospital Road, Ipswich IP4 5PD" -> lines ["Finance", "1 Hospital Road"],
    city "Ipswich", postcode "IP4 5PD". Lines beyond four are joined into the fourth."""
    parts = [part.strip() for line in (text or "").splitlines() for part in line.split(",")]
    parts = [part for part in parts if part]
    city = postcode = ""
    for index in range(len(parts) - 1, -1, -1):
        match = POSTCODE.search(parts[index])
        if match:
            postcode = f"{match.group(1)} {match.group(2)}".upper()
            before = parts[index][: match.start()].strip()
            del parts[index]
            if before:
                city = before
            elif index > 0:
                city = parts.pop(index - 1)
            break
    lines = parts[:3] + ([", ".join(parts[3:])] if len(parts) > 3 else [])
    lines += [""] * (4 - len(lines))
    return {"lines": lines, "city": city, "postcode": postcode}


def _line_vat(document, lines):
    """Each line's VAT, the last taking the rounding so they add up to the document's VAT."""
    shares = [money(line.net * document.vat_rate) for line in lines]
    if shares:
        shares[-1] = document.vat - sum(shares[:-1])
    return shares


def _rows(document):
    address = split_address(document.buyer_address)
    head = [
        csv_cell(document.buyer_organisation),
        csv_cell(document.buyer_email),  # an address may start with "=": a formula to a spreadsheet
        *[csv_cell(line) for line in address["lines"]],
        csv_cell(address["city"]),
        "",
        address["postcode"],
        "",
        document.number,
        csv_cell(document.purchase_order),
        f"{document.issued_on:%d/%m/%Y}",
    ]
    if not document.is_credit_note:
        head.append(f"{document.due_on:%d/%m/%Y}")
    lines = list(document.lines.all())
    for line, vat in zip(lines, _line_vat(document, lines), strict=True):
        yield [
            *head,
            "",
            csv_cell(line.description),
            quantity_text(line.quantity),
            f"{line.unit_price:.2f}",
            "",
            settings.INVOICE_ACCOUNT_CODE,
            settings.INVOICE_TAX_TYPE,
            f"{vat:.2f}",
            "",
            "",
            "",
            "",
            "GBP",
        ]


def csv_text(documents, columns):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for document in documents:
        writer.writerows(_rows(document))
    return out.getvalue()


def xero_export(queryset):
    """The download for the selected documents: one CSV, or a zip of two when both kinds are chosen."""
    documents = list(queryset.prefetch_related("lines").order_by("number"))
    invoices = [d for d in documents if d.kind == Invoice.Kind.INVOICE]
    credit_notes = [d for d in documents if d.kind == Invoice.Kind.CREDIT_NOTE]
    today = f"{timezone.localdate():%Y-%m-%d}"
    files = []
    if invoices or not credit_notes:
        files.append((f"xero-invoices-{today}.csv", csv_text(invoices, INVOICE_COLUMNS)))
    if credit_notes:
        files.append((f"xero-credit-notes-{today}.csv", csv_text(credit_notes, CREDIT_NOTE_COLUMNS)))
    if len(files) == 1:
        [(name, text)] = files
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file_name, text in files:
                archive.writestr(file_name, text)
        name = f"xero-invoices-and-credit-notes-{today}.zip"
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
