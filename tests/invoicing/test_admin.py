"""The office's invoices in the admin, as a staff member with only the invoicing permissions:
the list and its filters, marking paid, the accounts export, the PDF as issued."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from booking import services as booking_services
from invoicing import services
from invoicing.exports import CREDIT_NOTE_COLUMNS, INVOICE_COLUMNS, split_address
from invoicing.models import Invoice

pytestmark = pytest.mark.django_db

LIST = reverse("admin:invoicing_invoice_changelist")


def staff(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(
        username, password="x", is_staff=True, first_name=username.title(), last_name="Grant"
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="invoicing", codename__in=codenames))
    return user


@pytest.fixture
def finance(client, django_user_model):
    client.force_login(staff(django_user_model, "fiona", "view_invoice", "record_payment"))
    return client


@pytest.fixture
def documents(book, settings, admin_user):
    """One invoice of each status, and a credit note."""
    unpaid = book(count=1, organisation="Unpaid Trust", purchase_order="PO-UNPAID").invoices.get()
    settings.INVOICE_DUE_DAYS = -1  # issued today, due yesterday: overdue at once
    overdue = book(count=1, organisation="Overdue Council", purchase_order="PO-LATE").invoices.get()
    settings.INVOICE_DUE_DAYS = 30
    paid = book(count=1, organisation="Paid Academy", purchase_order="PO-PAID").invoices.get()
    services.invoice_mark_paid(invoice=paid, paid_on=timezone.localdate(), user=admin_user)
    cancelled = book(count=1, organisation="Cancelled Housing", purchase_order="PO-GONE")
    booking_services.booking_cancel(booking=cancelled)
    credited = cancelled.invoices.get(kind="invoice")
    note = cancelled.invoices.get(kind="credit_note")
    return {"unpaid": unpaid, "overdue": overdue, "paid": paid, "credited": credited, "note": note}


def numbers(response):
    return sorted(row.number for row in response.context["cl"].result_list)


def test_the_list_shows_each_document_and_its_status(finance, documents):
    response = finance.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for document in documents.values():
        assert document.number in html and document.purchase_order in html
    for words in ("Overdue Council", "£180.00", "Unpaid", "Overdue", "Paid on", "Credited in full", "Credit note"):
        assert words in html, words
    assert f'href="{reverse("admin:invoicing_invoice_pdf", args=[documents["paid"].pk])}"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "unpaid"}, ["unpaid", "overdue"]),
        ({"status": "overdue"}, ["overdue"]),
        ({"status": "paid"}, ["paid"]),
        ({"status": "credited"}, ["credited"]),
        ({"kind": "credit_note"}, ["note"]),
        ({"kind": "invoice", "status": "unpaid"}, ["unpaid", "overdue"]),
        ({"q": "PO-LATE"}, ["overdue"]),
        ({"q": "cancelled housing"}, ["credited", "note"]),
    ],
)
def test_the_list_filters_by_status_and_kind_and_searches(finance, documents, query, expected):
    assert numbers(finance.get(LIST, query)) == sorted(documents[name].number for name in expected)


def test_search_by_booking_reference_and_number(finance, documents):
    reference = documents["paid"].booking.reference
    assert numbers(finance.get(LIST, {"q": reference})) == [documents["paid"].number]
    assert numbers(finance.get(LIST, {"q": documents["note"].number})) == [documents["note"].number]


def test_mark_paid_asks_for_the_date_and_calls_the_service(finance, documents):
    chosen = [documents["unpaid"].pk, documents["overdue"].pk, documents["note"].pk]
    page = finance.post(LIST, {"action": "mark_paid", "_selected_action": chosen})
    assert page.status_code == 200 and "Date the payment arrived" in page.content.decode()

    tomorrow = timezone.localdate() + timedelta(days=1)
    refused = finance.post(
        LIST, {"action": "mark_paid", "_selected_action": chosen, "post": "yes", "paid_on": tomorrow.isoformat()}
    )
    assert "Enter a payment date that is today or earlier." in refused.content.decode()
    assert not Invoice.objects.filter(pk__in=chosen, paid_on__isnull=False).exists()

    yesterday = timezone.localdate() - timedelta(days=1)
    done = finance.post(
        LIST,
        {"action": "mark_paid", "_selected_action": chosen, "post": "yes", "paid_on": yesterday.isoformat()},
        follow=True,
    )
    html = done.content.decode()
    assert f"Marked paid on {yesterday:%a} {yesterday.day} {yesterday:%B %Y}" in html
    assert "is a credit note: only invoices are paid" in html
    for name in ("unpaid", "overdue"):
        invoice = Invoice.objects.get(pk=documents[name].pk)
        assert invoice.paid_on == yesterday and invoice.paid_recorded_by == "Fiona Grant"
    assert numbers(finance.get(LIST, {"status": "overdue"})) == []


def test_mark_unpaid_undoes_a_payment(finance, documents):
    paid = documents["paid"]
    finance.post(LIST, {"action": "mark_unpaid", "_selected_action": [paid.pk]})
    assert Invoice.objects.get(pk=paid.pk).paid_on is None


def test_view_only_staff_cannot_mark_paid_or_edit(client, django_user_model, documents):
    client.force_login(staff(django_user_model, "vic", "view_invoice"))
    response = client.get(LIST)
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "mark_paid" not in actions and "export_for_accounts" in actions
    unpaid = documents["unpaid"]
    client.post(
        LIST,
        {"action": "mark_paid", "_selected_action": [unpaid.pk], "post": "yes", "paid_on": "2026-01-01"},
    )
    assert Invoice.objects.get(pk=unpaid.pk).paid_on is None
    change = reverse("admin:invoicing_invoice_change", args=[unpaid.pk])
    page = client.get(change)
    assert page.status_code == 200 and unpaid.purchase_order in page.content.decode()  # read, not a form
    assert client.post(change, {"purchase_order": "CHANGED"}).status_code == 403
    assert client.get(reverse("admin:invoicing_invoice_add")).status_code == 403
    assert client.get(reverse("admin:invoicing_invoice_delete", args=[unpaid.pk])).status_code == 403


def test_the_pdf_as_issued_for_staff_who_may_see_invoices(finance, client, django_user_model, documents):
    url = reverse("admin:invoicing_invoice_pdf", args=[documents["unpaid"].pk])
    response = finance.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and bytes(Invoice.objects.get(pk=documents["unpaid"].pk).pdf)
    client.force_login(staff(django_user_model, "sam"))  # staff, but no invoicing permission
    assert client.get(url).status_code == 403


def export(client, documents, *names):
    return client.post(
        LIST, {"action": "export_for_accounts", "_selected_action": [documents[name].pk for name in names]}
    )


def read_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_export_has_xeros_invoice_columns_one_row_a_line(finance, documents, book, settings):
    booking = book(
        count=3,
        organisation="East Suffolk and North Essex NHS Foundation Trust",
        contact_email="ap.invoices@esneft.example.org",
        invoice_address="Accounts Payable\nHeath Road\nIpswich IP4 5PD",
        purchase_order="NHS-PO-447120",
    )
    first = booking.invoices.get()
    extra = services.invoice_issue(
        booking=booking,
        lines=[
            {"description": "Course workbooks", "quantity": "3", "unit_price": "4.99"},
            {"description": "Certificates, printed", "quantity": "3", "unit_price": "2.99"},
        ],
        reason="Extras",
    )
    documents.update(first=first, extra=extra)
    response = export(finance, documents, "first", "extra")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="xero-invoices-' in response["Content-Disposition"]
    header, rows = read_csv(response.content.decode())
    assert header == INVOICE_COLUMNS
    assert header[:4] == ["*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2"]
    assert [row["*InvoiceNumber"] for row in rows] == [first.number, extra.number, extra.number]
    today, due = timezone.localdate(), timezone.localdate() + timedelta(days=30)
    assert rows[0] == {
        "*ContactName": "East Suffolk and North Essex NHS Foundation Trust",
        "EmailAddress": "ap.invoices@esneft.example.org",
        "POAddressLine1": "Accounts Payable",
        "POAddressLine2": "Heath Road",
        "POAddressLine3": "",
        "POAddressLine4": "",
        "POCity": "Ipswich",
        "PORegion": "",
        "POPostalCode": "IP4 5PD",
        "POCountry": "",
        "*InvoiceNumber": first.number,
        "Reference": "NHS-PO-447120",
        "*InvoiceDate": f"{today:%d/%m/%Y}",
        "*DueDate": f"{due:%d/%m/%Y}",
        "InventoryItemCode": "",
        "*Description": first.lines.get().description,
        "*Quantity": "3",
        "*UnitAmount": "150.00",
        "Discount": "",
        "*AccountCode": settings.INVOICE_ACCOUNT_CODE,
        "*TaxType": "20% (VAT on Income)",
        "TaxAmount": "90.00",
        "TrackingName1": "",
        "TrackingOption1": "",
        "TrackingName2": "",
        "TrackingOption2": "",
        "Currency": "GBP",
    }
    assert [(r["*Description"], r["*Quantity"], r["*UnitAmount"]) for r in rows[1:]] == [
        ("Course workbooks", "3", "4.99"),
        ("Certificates, printed", "3", "2.99"),
    ]
    # Each line's VAT, adding up to the invoice's to the penny (2.994 + 1.794 = 4.788 -> 4.79).
    assert [r["TaxAmount"] for r in rows[1:]] == ["2.99", "1.80"]
    assert sum(Decimal(r["TaxAmount"]) for r in rows[1:]) == extra.vat == Decimal("4.79")


def test_credit_notes_export_as_xeros_credit_note_import_with_positive_amounts(finance, documents):
    response = export(finance, documents, "note")
    assert 'filename="xero-credit-notes-' in response["Content-Disposition"]
    header, [row] = read_csv(response.content.decode())
    assert header == CREDIT_NOTE_COLUMNS
    assert "*DueDate" not in header and "*InvoiceNumber" not in header
    note = documents["note"]
    assert (row["*CreditNoteNumber"], row["Reference"], row["*CreditNoteDate"]) == (
        note.number,
        "PO-GONE",
        f"{timezone.localdate():%d/%m/%Y}",
    )
    assert (row["*Quantity"], row["*UnitAmount"], row["TaxAmount"]) == ("1", "150.00", "30.00")


def test_a_mixed_selection_downloads_both_files_in_a_zip(finance, documents):
    response = export(finance, documents, "unpaid", "note", "paid")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    invoices_file, notes_file = sorted(archive.namelist())
    assert invoices_file.startswith("xero-credit-notes-") or notes_file.startswith("xero-credit-notes-")
    texts = {name.split("-")[1]: archive.read(name).decode() for name in archive.namelist()}
    assert read_csv(texts["invoices"])[0] == INVOICE_COLUMNS and len(read_csv(texts["invoices"])[1]) == 2
    assert read_csv(texts["credit"])[0] == CREDIT_NOTE_COLUMNS and len(read_csv(texts["credit"])[1]) == 1


def test_typed_text_never_runs_as_a_spreadsheet_formula(finance, documents, book):
    booking = book(
        count=1,
        organisation='=HYPERLINK("http://example.com")',
        contact_email="=cmd|'/Ccalc'!A0@example.com",  # a valid address, and a formula
        purchase_order="PO-F",
    )
    documents["formula"] = booking.invoices.get()
    _, [row] = read_csv(export(finance, documents, "formula").content.decode())
    assert row["*ContactName"].startswith("'=")
    assert row["EmailAddress"].startswith("'=")


@pytest.mark.parametrize(
    ("typed", "lines", "city", "postcode"),
    [
        ("Finance, 1 Hospital Road, Ipswich IP4 5PD", ["Finance", "1 Hospital Road", "", ""], "Ipswich", "IP4 5PD"),
        (
            "Accounts Payable\nHeath Road\nIpswich\nip45pd",
            ["Accounts Payable", "Heath Road", "", ""],
            "Ipswich",
            "IP4 5PD",
        ),
        (
            "Shared Services\nPO Box 312\nFloor 2, Block C\nRiverside Park\nLeeds LS1 4AP",
            ["Shared Services", "PO Box 312", "Floor 2", "Block C, Riverside Park"],
            "Leeds",
            "LS1 4AP",
        ),
        (
            "Accounts payable, Orwell Academy, PO Box 118",
            ["Accounts payable", "Orwell Academy", "PO Box 118", ""],
            "",
            "",
        ),
    ],
)
def test_a_typed_address_split_into_xeros_columns(typed, lines, city, postcode):
    assert split_address(typed) == {"lines": lines, "city": city, "postcode": postcode}


def test_the_booking_admin_can_show_a_bookings_invoices_inline(documents, rf, admin_user):
    # For BookingAdmin.inlines (booking/admin is not this room's to edit).
    from django.contrib import admin

    from booking.models import Booking
    from invoicing.admin import BookingInvoiceInline

    inline = BookingInvoiceInline(Booking, admin.site)
    assert inline.check() == []
    request = rf.get("/")
    request.user = admin_user
    booking = documents["credited"].booking
    shown = inline.get_queryset(request).filter(booking=booking)
    assert [inline.document_link(d) for d in shown] == [
        f'<a href="/admin/invoicing/invoice/{d.pk}/change/">{d}</a>' for d in shown
    ]
    assert [inline.status(d) for d in shown] == ["Credit note", "Credited in full"]
