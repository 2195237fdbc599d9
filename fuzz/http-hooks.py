# Schemathesis hooks for scripts/fuzz-http (SCHEMATHESIS_HOOKS).
#
# Hypothesis draws the same few short values for most return requests: an Idempotency-Key "0",
# a dispute "0", a received_at years away, half the items not free to return. returnd rightly
# refuses a key sent again with another body (422), an item of a dispute already returned (409),
# a delivery outside the return window and an item not free to return (422), a country it does
# not serve (422), so few generated returns got as far as a parcel. Three return requests in
# four now carry a key and a dispute made unique by their body, a delivery of yesterday, items
# free to return and a buyer in one of the 17 countries (each country's carrier, numbering and
# grouping then meet generated names, addresses and items); the fourth keeps what was drawn, so
# those refusals still meet the server. Derived from the case alone (and a date fixed for the
# run), so Hypothesis replays the same request when it shrinks a failure; only a value that is
# already valid is replaced (schemathesis revalidates an edited case anyway).
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import schemathesis

VISIBLE_ASCII = re.compile(r"[!-~]{1,200}")  # openapi.yaml's Idempotency-Key
# The countries returnd serves: one carrier file each.
COUNTRIES = sorted(re.search(r"^country: ([A-Z]{2})$", f.read_text(), re.M)[1]
                   for f in (Path(__file__).resolve().parent.parent / "carriers").glob("*.yaml"))
YESTERDAY = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def is_date_time(value):
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


@schemathesis.hook
def map_case(context, case):
    if case.operation.path != "/v1/returns":
        return case
    body = json.dumps(case.body, sort_keys=True, default=repr)
    key = case.headers.get("Idempotency-Key") if case.headers is not None else None
    digest = hashlib.sha256(f"{key}\n{body}".encode()).hexdigest()
    if int(digest[0], 16) % 4 == 0:
        return case
    if isinstance(key, str) and VISIBLE_ASCII.fullmatch(key):
        case.headers["Idempotency-Key"] = f"{key[:187]}.{digest[:12]}"
    if isinstance(case.body, dict):
        edited = dict(case.body)
        if isinstance(edited.get("dispute_id"), str):
            edited["dispute_id"] = f"{edited['dispute_id'][:51]}.{digest[:12]}"
        if is_date_time(edited.get("received_at")):
            edited["received_at"] = YESTERDAY
        address = edited.get("buyer", {}).get("address") if isinstance(edited.get("buyer"), dict) else None
        if isinstance(address, dict) and isinstance(address.get("country"), str) and re.fullmatch(r"[A-Z]{2}", address["country"]):
            edited["buyer"] = dict(edited["buyer"], address=dict(address, country=COUNTRIES[int(digest[1:5], 16) % len(COUNTRIES)]))
        if isinstance(edited.get("items"), list):
            edited["items"] = [dict(item, free_return=True) if isinstance(item, dict) and isinstance(item.get("free_return"), bool) else item
                               for item in edited["items"]]
        case.body = edited
    return case
