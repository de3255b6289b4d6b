#!/usr/bin/env python3
"""Benchmarks/dedup-index.py: what the events table's UNIQUE (provider, event_id)
index, the store's deduplication, costs a group commit (a benchmark, not a test).

    python3 Benchmarks/dedup-index.py     # PRELOAD=200000 BATCH=30 BATCHES=2000
                                          # PAGE_SIZE= CACHE_KB= MMAP= (SQLite pragmas)

Two SQLite files with the gate's events table (StoreSchema v1 + v7), one with the
UNIQUE constraint and one without, each preloaded with PRELOAD events, then the same
BATCHES batches of BATCH unique events (Plaid-sized rows, random ids: the body's
SHA-256, as the gate stores Plaid's) committed as the gate commits them: WAL mode,
synchronous=FULL, one transaction per batch, INSERT ... ON CONFLICT DO NOTHING.
Prints, for each: WAL bytes per event (auto-checkpoint off, so every frame stays) and
CPU per event (this thread's user + system time around each commit, fdatasync included;
checkpoints at SQLite's default every 1000 pages), the two files taking the batches in
turn. The system's SQLite through Python's sqlite3: the same library the gate links,
without GRDB.
"""
import hashlib, json, os, sqlite3, tempfile, time

PRELOAD = int(os.environ.get("PRELOAD", "200000"))
BATCH = int(os.environ.get("BATCH", "30"))
BATCHES = int(os.environ.get("BATCHES", "2000"))

def schema(unique):
    u = ",\n UNIQUE (provider, event_id)" if unique else ""
    return f"""CREATE TABLE events (id INTEGER PRIMARY KEY, provider TEXT NOT NULL, event_id TEXT NOT NULL,
 event_type TEXT NOT NULL, body BLOB NOT NULL, body_sha256 TEXT NOT NULL, headers TEXT NOT NULL,
 client_ip TEXT, request_id TEXT NOT NULL, received_at INTEGER NOT NULL, claims TEXT, recovered TEXT{u});
CREATE INDEX events_received_at ON events (received_at);"""

SQL = ("INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
JWT = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjZjNTUxNmUxLTkyZGMtNDc5ZS1hOGZmLTVhNTE5OTJlMDAwMSIsInR5cCI6IkpXVCJ9." + "x" * 180 + "." + "y" * 86

def row(n, t):
    body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id": "item-%012d" % n,
                       "initial_update_complete": True, "historical_update_complete": False, "environment": "sandbox", "n": n}).encode()
    digest = hashlib.sha256(body).hexdigest()
    headers = json.dumps([["Content-Type", "application/json"], ["Plaid-Verification", JWT]])
    claims = json.dumps({"iat": 1796605059, "request_body_sha256": digest})
    return ("plaid", "sha256:" + digest, "TRANSACTIONS.SYNC_UPDATES_AVAILABLE", body, digest, headers, "127.0.0.1", "req-%016x" % n, t, claims)

def open_store(unique, folder):
    path = os.path.join(folder, "u%d.sqlite" % unique)
    db = sqlite3.connect(path, isolation_level=None)
    if os.environ.get("PAGE_SIZE"): db.execute("PRAGMA page_size=%d" % int(os.environ["PAGE_SIZE"]))
    db.execute("PRAGMA journal_mode=WAL")
    if os.environ.get("CACHE_KB"): db.execute("PRAGMA cache_size=-%d" % int(os.environ["CACHE_KB"]))
    if os.environ.get("MMAP"): db.execute("PRAGMA mmap_size=%d" % int(os.environ["MMAP"]))
    db.executescript(schema(unique))
    db.execute("BEGIN")
    db.executemany(SQL, (row(n, 1000 + n) for n in range(PRELOAD)))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA synchronous=FULL")
    return path, db

def commit_batch(db, rows):
    db.execute("BEGIN")
    db.executemany(SQL, rows)
    db.execute("COMMIT")

# Both files take the same batches in turn, one batch each, so that the machine's drift
# from one second to the next falls on both alike; each batch's CPU is this thread's
# (time.thread_time: user + system, fdatasync included), its rows built before timing.
with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/var/tmp")) as folder:
    stores = {u: open_store(u, folder) for u in (True, False)}
    rows = {u: {} for u in (True, False)}
    for phase, autocheckpoint in (("wal", 0), ("cpu", 1000)):
        used = {True: 0.0, False: 0.0}
        for u in (True, False):
            stores[u][1].execute("PRAGMA wal_autocheckpoint=%d" % autocheckpoint)
            stores[u][1].execute("PRAGMA wal_checkpoint(TRUNCATE)")
        start = PRELOAD + (0 if phase == "wal" else BATCHES * BATCH)
        for b in range(BATCHES):
            batch = [row(start + b * BATCH + i, 10**9 + start + b * BATCH + i) for i in range(BATCH)]
            for u in ((True, False) if b % 2 == 0 else (False, True)):
                before = time.thread_time()
                commit_batch(stores[u][1], batch)
                used[u] += time.thread_time() - before
        for u in (True, False):
            if phase == "wal":
                rows[u]["wal_bytes_per_event"] = os.path.getsize(stores[u][0] + "-wal") / (BATCHES * BATCH)
            else:
                rows[u]["cpu_us_per_event"] = used[u] / (BATCHES * BATCH) * 1e6
    for u in (True, False):
        stores[u][1].close()
print("events stored before: %d (WAL column), %d (CPU column); batches of %d, %d batches a column; sqlite %s" % (
    PRELOAD, PRELOAD + BATCHES * BATCH, BATCH, BATCHES, sqlite3.sqlite_version))
print("%-28s %14s %14s" % ("table", "WAL B/event", "CPU µs/event"))
for u in (True, False):
    r = rows[u]
    print("%-28s %14.0f %14.1f" % ("with UNIQUE (provider, id)" if u else "without it", r["wal_bytes_per_event"], r["cpu_us_per_event"]))
print("the index: %.0f WAL bytes and %.1f µs of SQLite's CPU per event" % (
    rows[True]["wal_bytes_per_event"] - rows[False]["wal_bytes_per_event"], rows[True]["cpu_us_per_event"] - rows[False]["cpu_us_per_event"]))
