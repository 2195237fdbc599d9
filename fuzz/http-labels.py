#!/usr/bin/env python3
"""After scripts/fuzz-http: every parcel with a label issued has it, in every format, over HTTP.

The fuzzed return requests store parcels in all 17 countries with generated names, addresses,
sellers and item titles (fuzz/http-hooks.py); nothing fetches their labels during the fuzzing.
A kiosk will: each is fetched here as PDF, PNG, SVG and ZPL and must be whole (qpdf --check, a
PNG's IEND, SVG that parses as XML, one ^XA...^XZ); a package going back under a used label has
none (409 label_reused) and is passed over. zbarimg must read the PNG's tracking number and
(outside Russia, whose card is a barcode alone) its QR payload. Reads `returnctl parcel list
--json` on stdin; prints the failures, then "PARCELS COUNTRIES FAILURES".
Usage: http-labels.py BASE_URL MARKETPLACE_TOKEN MAX_PARCELS
"""
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

base, token, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
parcels = json.load(sys.stdin)["parcels"][:limit]


def fetch(parcel_id, fmt):
    request = urllib.request.Request(f"{base}/v1/parcels/{parcel_id}/label?format={fmt}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def problem(parcel, fmt, body):
    if fmt == "pdf":
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(body)
            f.flush()
            check = subprocess.run(["qpdf", "--check", f.name], capture_output=True, text=True)
            return None if check.returncode == 0 else "qpdf --check: " + (check.stdout + check.stderr).strip()[-200:]
    if fmt == "png":
        if not (body.startswith(b"\x89PNG\r\n\x1a\n") and body[-8:-4] == b"IEND"):
            return "not a whole PNG"
        # The codes must still read with the longest generated text drawn around them.
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(body)
            f.flush()
            read = subprocess.run(["zbarimg", "-q", "--nodbus", f.name], capture_output=True, text=True).stdout.splitlines()
        if not any(line.split(":", 1)[-1] == parcel["tracking_number"] for line in read):
            return f"zbarimg does not read the tracking number {parcel['tracking_number']}: {read}"
        # The QR payload names the parcel and its number (RT1:KEY:PARCEL:NUMBER:CC:SIGNATURE).
        qr = f":{parcel['id']}:{parcel['tracking_number']}:{parcel['country']}:"
        if parcel["country"] != "RU" and not any(line.startswith("QR-Code:") and qr in line for line in read):
            return f"zbarimg reads no QR code with {qr}: {read}"
        return None
    if fmt == "svg":
        try:
            ET.fromstring(body)
            return None
        except ET.ParseError as error:
            return f"SVG does not parse: {error}"
    text = body.decode("utf-8", "replace")
    return None if text.startswith("^XA") and text.rstrip().endswith("^XZ") and text.count("^XA") == 1 else "not one ^XA...^XZ"


failures = []
countries = set()
labelled = 0
for parcel in parcels:
    status, body = fetch(parcel["id"], "pdf")
    # A package going back under its order's used label has none of its own: 409 label_reused.
    if status == 409 and json.loads(body).get("error", {}).get("code") == "label_reused":
        continue
    labelled += 1
    countries.add(parcel["country"])
    for fmt in ("pdf", "png", "svg", "zpl"):
        if fmt != "pdf":
            status, body = fetch(parcel["id"], fmt)
        why = f"HTTP {status}: {body[:200]!r}" if status != 200 else problem(parcel, fmt, body)
        if why:
            failures.append(f"{parcel['id']} ({parcel['country']}) {fmt}: {why}")
for failure in failures[:10]:
    print("  " + failure)
print(f"{labelled} {len(countries)} {len(failures)}")
