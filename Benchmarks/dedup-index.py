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
CPU per event (user + system, checkpoints at SQLite's default every 1000 pages). The
system's SQLite through Python's sqlite3: the same library the gate links, without
GRDB; the script's own row building costs the same in both files.
"""
import hashlib, os, resource, sqlite3, sys, tempfile, time, json

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

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def measure(unique, folder):
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
    results = {}
    for phase, autocheckpoint in (("wal", 0), ("cpu", 1000)):
        db.execute("PRAGMA wal_autocheckpoint=%d" % autocheckpoint)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        start = PRELOAD + (0 if phase == "wal" else BATCHES * BATCH)
        before, wall = cpu(), time.monotonic()
        for b in range(BATCHES):
            db.execute("BEGIN")
            db.executemany(SQL, [row(start + b * BATCH + i, 10**9 + start + b * BATCH + i) for i in range(BATCH)])
            db.execute("COMMIT")
        used, wall = cpu() - before, time.monotonic() - wall
        if phase == "wal":
            results["wal_bytes_per_event"] = os.path.getsize(path + "-wal") / (BATCHES * BATCH)
        else:
            results["cpu_us_per_event"] = used / (BATCHES * BATCH) * 1e6
            results["wall_us_per_event"] = wall / (BATCHES * BATCH) * 1e6
    db.close()
    return results

with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/var/tmp")) as folder:
    rows = {u: measure(u, folder) for u in (True, False)}
print("events preloaded %d, batches of %d, %d batches; sqlite %s" % (PRELOAD, BATCH, BATCHES, sqlite3.sqlite_version))
print("%-28s %14s %14s %14s" % ("table", "WAL B/event", "CPU µs/event", "wall µs/event"))
for u in (True, False):
    r = rows[u]
    print("%-28s %14.0f %14.1f %14.1f" % ("with UNIQUE (provider, id)" if u else "without it", r["wal_bytes_per_event"], r["cpu_us_per_event"], r["wall_us_per_event"]))
print("the index: %.0f WAL bytes and %.1f µs of CPU per event (includes this script's own row building, the same in both)" % (
    rows[True]["wal_bytes_per_event"] - rows[False]["wal_bytes_per_event"], rows[True]["cpu_us_per_event"] - rows[False]["cpu_us_per_event"]))
