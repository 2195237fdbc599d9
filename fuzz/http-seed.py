#!/usr/bin/env python3
"""Seeds the store scripts/fuzz-http fuzzes, and prints schemathesis dictionaries of what it made.

Without it every parcel id and code schemathesis made up was unknown: the label route, kiosk
scans and drop-offs, receipts and inspections answered 404 before their own logic ran. With it a
part of the generated requests name real parcels in every status (a label issued, dropped off,
received, inspected, one received with one item for generated verdicts to judge whole; a package under a used label; other countries and warehouses), their skus,
disputes, orders, buyers and sellers, so the fuzzing reaches what those routes do with them.

Usage: fuzz/http-seed.py BASE_URL MARKETPLACE_TOKEN KIOSK_TOKEN SCANNER_TOKEN [EXAMPLES_PER_OPERATION]
Exits 1, saying which step, if the daemon refuses a seeding request.
"""
import datetime
import json
import sys
import urllib.error
import urllib.request

base, marketplace, kiosk, scanner = sys.argv[1:5]
examples = int(sys.argv[5]) if len(sys.argv) > 5 else 30
now = datetime.datetime.now(datetime.timezone.utc)
received_at = (now - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def call(method, path, token, body, step, expect=(200, 201)):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    if status not in expect:
        sys.exit(f"fuzz/http-seed.py: {step}: HTTP {status} {text[:300]!r}")
    return json.loads(text)["parcel"] if text else None


ADDRESSES = {
    "FR": {"lines": ["3 place de l'Église"], "city": "Lyon", "postal_code": "69001", "country": "FR"},
    "RU": {"lines": ["ул. Тверская, 7"], "city": "Москва", "postal_code": "125009", "country": "RU"},
    "US": {"lines": ["350 Fifth Avenue"], "city": "New York, NY", "postal_code": "10118", "country": "US"},
    "DE": {"lines": ["Unter den Linden 1"], "city": "Berlin", "postal_code": "10117", "country": "DE"},
}
CURRENCIES = {"FR": "EUR", "RU": "RUB", "US": "USD", "DE": "EUR"}


def new_return(name, country, skus, order=None, buyer=None, seller=None):
    body = {
        "dispute_id": "D-FUZZ-" + name, "order_id": order or "O-FUZZ-" + name, "received_at": received_at,
        "reason": "changed_mind",
        "buyer": {"id": buyer or "B-FUZZ-" + name, "name": "Buyer " + name, "address": ADDRESSES[country]},
        "seller": {"id": seller or "S-FUZZ-" + name, "name": "Seller " + name},
        "items": [{"sku": sku, "title": "Item " + sku, "quantity": 2, "unit_price": {"amount": "19.90", "currency": CURRENCIES[country]},
                   "free_return": True} for sku in skus],
    }
    return call("POST", "/v1/returns", marketplace, body, "return " + name), body


parcels = {}
parcels["issued"], _ = new_return("ISSUED", "FR", ["SKU-FUZZ-1", "SKU-FUZZ-2"])
# A second dispute of the same buyer and seller joins that parcel: two disputes in one box.
new_return("JOINED", "FR", ["SKU-FUZZ-1"], buyer="B-FUZZ-ISSUED", seller="S-FUZZ-ISSUED")
parcels["dropped"], dropped_body = new_return("DROPPED", "FR", ["SKU-FUZZ-3"])
parcels["received"], _ = new_return("RECEIVED", "FR", ["SKU-FUZZ-4", "SKU-FUZZ-5"])
parcels["inspected"], _ = new_return("INSPECTED", "FR", ["SKU-FUZZ-6"])
# Received with one item: a generated verdict of one line can judge it whole and go through.
parcels["to_inspect"], _ = new_return("TO-INSPECT", "FR", ["SKU-FUZZ-11"])
for step, key in [("drop-off", "dropped"), ("drop-off", "received"), ("drop-off", "inspected"), ("drop-off", "to_inspect")]:
    call("POST", "/v1/kiosk/dropoffs", kiosk, {"code": parcels[key]["return_code"]}, f"{step} of {key}")
for key in ["received", "inspected", "to_inspect"]:
    call("POST", "/v1/warehouse/receipts", scanner, {"code": parcels[key]["tracking_number"], "scanned_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}, "receipt of " + key)
call("POST", "/v1/warehouse/inspections", scanner, {"code": parcels["inspected"]["qr_payload"], "items": [
    {"sku": "SKU-FUZZ-6", "outcome": "rejected", "reason": "worn"}]}, "inspection")
# The rest of the dropped-off order goes back under its used label: a package with no label.
parcels["under_label"], _ = new_return("REST", "FR", ["SKU-FUZZ-7"], order=dropped_body["order_id"],
                                       buyer=dropped_body["buyer"]["id"], seller=dropped_body["seller"]["id"])
parcels["ru"], _ = new_return("RU", "RU", ["SKU-FUZZ-8"])
parcels["us"], _ = new_return("US", "US", ["SKU-FUZZ-9"])
parcels["de"], _ = new_return("DE", "DE", ["SKU-FUZZ-10"])

codes, ids = [], []
for parcel in parcels.values():
    ids.append(parcel["id"])
    tracking, code = parcel["tracking_number"], parcel["return_code"]
    # As read, and as typed: lower case, tracking numbers in groups.
    codes += [tracking, code, parcel["qr_payload"], code.lower(), " ".join(tracking[i:i + 4] for i in range(0, len(tracking), 4))]
skus = sorted({item["sku"] for parcel in parcels.values() for item in parcel["items"]})
disputes = sorted({d for parcel in parcels.values() for d in parcel["disputes"]})


def values(items):
    return "[" + ", ".join(json.dumps(item, ensure_ascii=True) for item in items) + "]"


# TOML: appended to fuzz/schemathesis.toml. JSON strings in ASCII are TOML basic strings.
print(f"""
# Made by fuzz/http-seed.py from the store it seeded.
[dictionaries.parcel_ids]
values = {values(ids)}
[dictionaries.codes]
values = {values(codes)}
[dictionaries.skus]
values = {values(skus)}
[dictionaries.disputes]
values = {values(disputes)}
[dictionaries.countries]
values = {values(sorted(ADDRESSES))}
[dictionaries.received_at]
values = {values([received_at])}
[dictionaries.to_inspect_codes]
values = {values([parcels["to_inspect"][k] for k in ("tracking_number", "return_code", "qr_payload")])}
[dictionaries.to_inspect_skus]
values = ["SKU-FUZZ-11"]
[dictionaries.to_inspect_disputes]
values = {values(parcels["to_inspect"]["disputes"])}
[dictionaries.return_country]
values = ["FR"]
[dictionaries.return_postal_code]
values = ["69001"]
[dictionaries.return_currency]
values = ["EUR"]
[dictionaries.scanned_at]
values = {values([datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")])}

[parameters]
"path.id" = {{ dictionary = "parcel_ids", probability = 0.7 }}
"body.code" = {{ dictionary = "codes", probability = 0.7 }}
"body.items[*].sku" = {{ dictionary = "skus", probability = 0.5 }}
"body.items[*].dispute_id" = {{ dictionary = "disputes", probability = 0.5 }}
"body.dispute_id" = {{ dictionary = "disputes", probability = 0.3 }}
"body.received_at" = {{ dictionary = "received_at", probability = 0.5 }}
"body.scanned_at" = {{ dictionary = "scanned_at", probability = 0.5 }}
"body.buyer.address.country" = {{ dictionary = "countries", probability = 0.5 }}

# Both routes below get four times the examples, for the role that gets past their role check
# (scripts/fuzz-http drops the line for the others): most generated requests break the schema on
# purpose, and at CI's 30 a run often had no request left that named the seeded parcel in a valid
# body (no verdict stored in three runs of three, no return in one of two).

# Inspections: mostly the one-item parcel received for them, its sku and its dispute (the seeded
# disputes at large named the sku under another dispute: "not in parcel"), so that some verdicts go through.
[[operations]]
include-path = "/v1/warehouse/inspections"
parameters = {{ "body.code" = {{ dictionary = "to_inspect_codes", probability = 0.9 }}, "body.items[*].sku" = {{ dictionary = "to_inspect_skus", probability = 0.9 }}, "body.items[*].dispute_id" = {{ dictionary = "to_inspect_disputes", probability = 0.9 }} }}
generation.max-examples = {examples * 4}  # role scanner

# Returns: a request goes through only when its date is inside the window and the buyer's country,
# postal code and every item's currency agree, which random values almost never do (8 of 1,000).
# What is left refused most of the rest, rightly: an Idempotency-Key ("0") sent again with another
# body, an item not flagged free_return; fuzz/http-hooks.py now gives most requests their own.
[[operations]]
include-path = "/v1/returns"
parameters = {{ "body.received_at" = {{ dictionary = "received_at", probability = 0.9 }}, "body.buyer.address.country" = {{ dictionary = "return_country", probability = 0.9 }}, "body.buyer.address.postal_code" = {{ dictionary = "return_postal_code", probability = 0.9 }}, "body.items[*].unit_price.currency" = {{ dictionary = "return_currency", probability = 0.9 }} }}
generation.max-examples = {examples * 4}  # role marketplace""")
