"""The ceiling for warehouse receipts on this disk: the statements returnd's writer runs for one
receipt, run by bare SQLite (Python's sqlite3) on returnd's own schema, with the same settings
(WAL, synchronous=FULL, temp_store=MEMORY, the writer's 16 MiB page cache, checkpoint every
16384 pages) and the same shape: BATCH receipts per commit, no savepoint per receipt (returnd's
group commit uses savepoints only to re-run a batch in which a write failed). No parcel read, no
JSON, no Swift: what is left is SQLite's own work for this write set.

SYNCHRONOUS (default FULL): OFF gives the same work without any fsync, no durability at all: the
bound of this write set on this machine's CPU, whatever the disk does. THREAD is returnd's way
(SQLiteWALSync): commits at NORMAL, and a second thread fdatasyncs the WAL after them, one sync
for every batch committed before it began; the time ends when the last batch is synced.

Two knobs for bench/receipts_indexes, which measures what the B-trees keyed by parcel cost.
RECEIPTS_REFERENCE_VARIANT, comma-separated: `no_history_index` drops the history's parcel
index; `no_receipts_index` the receipts' unique (parcel, warehouse, scan time) index (returnd
reads through both and catches scanner retries with the second, so these measure a cost, not a
schema returnd could use); `history_in_parcel` drops the history's parcel index and keeps each
parcel's history as JSON in its row too, which the status change rewrites anyway (a schema that
would keep the read: the history table stays, written at its end, for audits and the timers);
`receipts_in_history` keeps no receipts table: a receipt is a history row of its own with the
receipt's columns (warehouse, code, times, scanner, misrouted) beside the arrival's status row,
and the history's parcel index becomes UNIQUE (parcel, warehouse, scan time), which serves both
reads and catches a scanner's retry at once (status rows have no warehouse and never conflict:
NULLs are distinct in a UNIQUE index), so a receipt writes one B-tree keyed by parcel, not two;
`arrival_holds_receipt` is the same with the receipt's columns on the arrival's status row (one
history row per receipt; a receipt that moves nothing would still need a row of its own).
RECEIPTS_REFERENCE_ORDER=random scans the parcels in random order instead of issuance order.
RECEIPTS_REFERENCE_STORE=N stores N parcels (default COUNT) and scans the COUNT issued last: in
a store of production's size every insert keyed by parcel lands on a page of its own.
RECEIPTS_REFERENCE_PARCELS=in_transit: the scanned parcels in transit, not label_issued.
RECEIPTS_REFERENCE_FRAMES=1: prints the WAL pages written per receipt instead of the rate (no
checkpoint in that run, so the WAL holds every page the receipts wrote).

Usage: receipts_reference.py SCHEMA_DB COUNT BATCH [SYNCHRONOUS]  (prints receipts per second)"""
import os, random, shutil, sqlite3, string, sys, tempfile, threading, time

schema_db, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
synchronous = sys.argv[4] if len(sys.argv) > 4 else "FULL"
if synchronous not in ("FULL", "OFF", "THREAD"):
    sys.exit("SYNCHRONOUS: FULL, OFF or THREAD")
work = tempfile.mkdtemp()
path = os.path.join(work, "reference.sqlite")
shutil.copy(schema_db, path)
db = sqlite3.connect(path, isolation_level=None)
variant = [v for v in os.environ.get("RECEIPTS_REFERENCE_VARIANT", "").split(",") if v]
variants = ("no_history_index", "no_receipts_index", "history_in_parcel", "receipts_in_history", "arrival_holds_receipt")
if not set(variant) <= set(variants):
    sys.exit("RECEIPTS_REFERENCE_VARIANT: " + ", ".join(variants))
history_in_parcel = "history_in_parcel" in variant
arrival_holds_receipt = "arrival_holds_receipt" in variant
receipts_in_history = "receipts_in_history" in variant or arrival_holds_receipt
if receipts_in_history and len(variant) > 1:
    sys.exit("receipts_in_history and arrival_holds_receipt go alone")
if "no_history_index" in variant or history_in_parcel:
    db.execute("DROP INDEX parcel_history_parcel")
if history_in_parcel:
    db.execute("ALTER TABLE parcels ADD COLUMN history_json TEXT")
if receipts_in_history:
    db.execute("DROP INDEX parcel_history_parcel")
    db.execute("DROP TABLE warehouse_receipts")
    for column in ("warehouse_id TEXT", "code TEXT", "received_at TEXT", "scanner TEXT", "misrouted INTEGER"):
        db.execute("ALTER TABLE parcel_history ADD COLUMN " + column)
    db.execute("CREATE UNIQUE INDEX parcel_history_parcel ON parcel_history(parcel_id, warehouse_id, occurred_at)")
if "no_receipts_index" in variant:
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'warehouse_receipts'").fetchone()[0]
    unique = "UNIQUE (parcel_id, warehouse_id, scanned_at)"
    if unique not in table:
        sys.exit("warehouse_receipts has no " + unique)
    db.execute("DROP TABLE warehouse_receipts")
    db.execute(table.replace(unique, "CHECK (1)"))
frames = os.environ.get("RECEIPTS_REFERENCE_FRAMES") == "1"
for pragma in ("journal_mode=WAL", f"synchronous={'NORMAL' if synchronous == 'THREAD' else synchronous}", "temp_store=MEMORY", "cache_size=-16384", f"wal_autocheckpoint={0 if frames else 16384}"):
    db.execute(f"PRAGMA {pragma}")

def token(n):
    return "".join(random.choices(string.ascii_uppercase + string.digits, k=n))

buyer = '{"address":{"city":"C","country":"FR","lines":["1"],"postal_code":"1"},"id":"B","name":"N"}'
payload = '{"carrier":"fr_colissimo","dispute_id":"D","id":"evt_X","items":[{"dispute_id":"D","order_id":"O","quantity":1,"sku":"A","title":"A","unit_price":{"amount":"1","currency":"EUR"}}],"location":"WH-FR-LYS","occurred_at":"2026-11-30T21:00:00Z","parcel_id":"P","return_code":"KVPMFV79E","source":"scanner","status":"arrived_at_warehouse","tracking_number":"CY100000003FR","type":"return.arrived_at_warehouse"}'
stamp = "2026-11-30 21:00:00.000"
stored = int(os.environ.get("RECEIPTS_REFERENCE_STORE", count))
if stored < count:
    sys.exit("RECEIPTS_REFERENCE_STORE: at least COUNT parcels")
ids = [token(13) for _ in range(stored)]
# Time-ordered, like returnd's (DisputeEvent.newID): creation order, then random digits.
def event_id(n):
    return "evt_%010d" % n + token(10)
db.execute("BEGIN")
for i, pid in enumerate(ids):
    db.execute("""INSERT INTO parcels (id, tracking_number, return_code, carrier_id, country, status, buyer_id, seller_id,
                  seller_name, buyer_json, warehouse_id, drop_off_by, faster_refund_by, created_at, updated_at, label_version)
                  VALUES (?, ?, ?, 'fr_colissimo', 'FR', 'label_issued', ?, 'S', 'S', ?, 'WH-FR-LYS', ?, ?, ?, ?, 1)""",
               (pid, f"CY{i:09d}FR", token(9), f"B-{i}", buyer, stamp, stamp, stamp, stamp))
    # Items and history rows keep the ids of the events their write made, as returnd's do.
    label_event = event_id(i)
    db.execute("INSERT INTO parcel_items (parcel_id, position, dispute_id, order_id, sku, title, quantity, unit_amount, currency, event_id) VALUES (?, 0, ?, 'O', 'A', 'A', 1, '1', 'EUR', ?)", (pid, f"D-{i}", label_event))
    db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, event_ids) VALUES (?, 'label_issued', 'marketplace', ?, 'd', ?)", (pid, stamp, label_event))
    db.execute("INSERT INTO outbox (event_id, dispute_id, parcel_id, type, payload, created_at) VALUES (?, ?, ?, 'return.label_issued', ?, ?)", (label_event, f"D-{i}", pid, payload, stamp))
    db.execute("INSERT INTO tracking_schedule (parcel_id, next_poll_at) VALUES (?, ?)", (pid, stamp))
def receipt_in_history(pid, at, conflict):
    """A receipt and the arrival it makes in the history: one row (arrival_holds_receipt) or a
    receipt row with no status of its own beside the status row (receipts_in_history)."""
    if arrival_holds_receipt:
        db.execute(f"""INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, warehouse_id, code, received_at, scanner, misrouted)
                       VALUES (?, 'arrived_at_warehouse', 'scanner', ?, 'at WH-FR-LYS', 'WH-FR-LYS', ?, ?, 'bench', 0) {conflict}""", (pid, at, pid, at))
        return
    db.execute(f"""INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, warehouse_id, code, received_at, scanner, misrouted)
                   VALUES (?, 'received', 'scanner', ?, NULL, 'WH-FR-LYS', ?, ?, 'bench', 0) {conflict}""", (pid, at, pid, at))
    db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail) VALUES (?, 'arrived_at_warehouse', 'scanner', ?, 'at WH-FR-LYS')", (pid, at))

# The parcels issued before the scanned ones have arrived already, as in a store in use: their
# receipts and arrivals are in the B-trees the new receipts write, their events delivered.
for i, pid in enumerate(ids[:stored - count]):
    db.execute("UPDATE parcels SET status = 'arrived_at_warehouse' WHERE id = ?", (pid,))
    if receipts_in_history:
        receipt_in_history(pid, stamp, "")
    else:
        db.execute("""INSERT INTO warehouse_receipts (parcel_id, warehouse_id, code, scanned_at, received_at, scanner, misrouted)
                      VALUES (?, 'WH-FR-LYS', ?, ?, ?, 'bench', 0)""", (pid, pid, stamp, stamp))
        db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, event_ids) VALUES (?, 'arrived_at_warehouse', 'scanner', ?, 'at WH-FR-LYS', ?)", (pid, stamp, event_id(stored + i)))
    db.execute("INSERT INTO outbox (event_id, dispute_id, parcel_id, type, payload, created_at, delivered_at) VALUES (?, ?, ?, 'return.arrived_at_warehouse', ?, ?, ?)", (event_id(stored + i), f"D-{i}", pid, payload, stamp, stamp))
# RECEIPTS_REFERENCE_PARCELS=in_transit: the scanned parcels dropped off and accepted by their
# carrier first, as in the route's in-transit rows; their arrival then leaves no partial index
# (a label_issued parcel's leaves the drop-off and open-group ones, two more pages keyed by
# parcel when scans come in random order).
parcels_state = os.environ.get("RECEIPTS_REFERENCE_PARCELS", "label_issued")
if parcels_state not in ("label_issued", "in_transit"):
    sys.exit("RECEIPTS_REFERENCE_PARCELS: label_issued or in_transit")
if parcels_state == "in_transit":
    for pid in ids[stored - count:]:
        db.execute("UPDATE parcels SET status = 'in_transit' WHERE id = ?", (pid,))
        db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail) VALUES (?, 'dropped_off', 'kiosk', ?, NULL)", (pid, stamp))
        db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail) VALUES (?, 'in_transit', 'carrier', ?, NULL)", (pid, stamp))
if history_in_parcel:
    db.execute("UPDATE parcels SET history_json = ?", ('[{"detail":"d","occurred_at":"%s","source":"marketplace","status":"label_issued"}]' % stamp,))
db.execute("COMMIT")
# Scanned in the order the parcels were issued, as bench/ReceiptsBenchmark scans them in all rows
# but its random-order one (RECEIPTS_REFERENCE_ORDER=random for that one). (Until 2026-12-01
# this shuffled them: in random order bare SQLite did about 14,000 a second here against 25,000
# in issuance order, so the reference measured another workload than the route's.)
event_ids = [event_id(2 * stored + n) for n in range(count)]
order = os.environ.get("RECEIPTS_REFERENCE_ORDER", "issuance")
if order not in ("issuance", "random"):
    sys.exit("RECEIPTS_REFERENCE_ORDER: issuance or random")
# The receipts are for the parcels issued last, as a warehouse meets the recent ones.
scanned = ids[-count:]
if order == "random":
    random.shuffle(scanned)

class WALSync(threading.Thread):
    """fdatasync of the WAL after commits, beside the writer (sqlite3 and fdatasync release the GIL)."""
    def __init__(self):
        super().__init__()
        self.fd, self.committed, self.synced, self.done = os.open(path + "-wal", os.O_RDONLY), 0, 0, False
        self.cv = threading.Condition()
        self.start()
    def commit(self):
        with self.cv:
            self.committed += 1
            self.cv.notify()
    def run(self):
        while True:
            with self.cv:
                self.cv.wait_for(lambda: self.committed > self.synced or self.done)
                if self.committed == self.synced:
                    return
                target = self.committed
            os.fdatasync(self.fd)
            with self.cv:
                self.synced = target
    def finish(self):
        with self.cv:
            self.done = True
            self.cv.notify()
        self.join()
        os.close(self.fd)

wal_sync = WALSync() if synchronous == "THREAD" else None
wal_before = os.path.getsize(path + "-wal")
start = time.perf_counter()
for b in range(0, count, batch):
    db.execute("BEGIN IMMEDIATE")
    for i, pid in enumerate(scanned[b:b + batch]):
        n = b + i
        now = "2026-11-30 21:%02d:%02d.%03d" % (n // 60000 % 60, n // 1000 % 60, n % 1000)
        db.execute("SELECT status, label_version FROM parcels WHERE id = ?", (pid,)).fetchone()
        if receipts_in_history:
            receipt_in_history(pid, now, "ON CONFLICT DO NOTHING")
            db.execute("UPDATE parcels SET status = 'arrived_at_warehouse', updated_at = ? WHERE id = ?", (now, pid))
            db.execute("INSERT INTO outbox (event_id, dispute_id, parcel_id, type, payload, created_at) VALUES (?, ?, ?, 'return.arrived_at_warehouse', ?, ?)", (event_ids[n], f"D-{n}", pid, payload, now))
            continue
        db.execute("""INSERT INTO warehouse_receipts (parcel_id, warehouse_id, code, scanned_at, received_at, scanner, misrouted)
                      VALUES (?, 'WH-FR-LYS', ?, ?, ?, 'bench', 0) ON CONFLICT DO NOTHING""", (pid, pid, now, now))
        if history_in_parcel:
            entry = '{"detail":"at WH-FR-LYS","occurred_at":"%s","source":"scanner","status":"arrived_at_warehouse"}' % now
            db.execute("UPDATE parcels SET status = 'arrived_at_warehouse', updated_at = ?, history_json = json_insert(history_json, '$[#]', json(?)) WHERE id = ?", (now, entry, pid))
        else:
            db.execute("UPDATE parcels SET status = 'arrived_at_warehouse', updated_at = ? WHERE id = ?", (now, pid))
        db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, event_ids) VALUES (?, 'arrived_at_warehouse', 'scanner', ?, 'at WH-FR-LYS', ?)", (pid, now, event_ids[n]))
        db.execute("INSERT INTO outbox (event_id, dispute_id, parcel_id, type, payload, created_at) VALUES (?, ?, ?, 'return.arrived_at_warehouse', ?, ?)", (event_ids[n], f"D-{n}", pid, payload, now))
    db.execute("COMMIT")
    if wal_sync:
        wal_sync.commit()
if wal_sync:
    wal_sync.finish()
elapsed = time.perf_counter() - start
# Each WAL frame is one page and a 24-byte frame header.
wal_pages = (os.path.getsize(path + "-wal") - wal_before) / (db.execute("PRAGMA page_size").fetchone()[0] + 24)
db.close()
shutil.rmtree(work)
print(f"{wal_pages / count:.2f}" if frames else f"{count / elapsed:.0f}")
