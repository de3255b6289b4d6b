#!/usr/bin/env python3
"""Helpers for Benchmarks/intake.sh and Benchmarks/delivery.sh (benchmarks, not tests).

Sub-commands:
  presign  write pre-signed raw HTTP requests (Plaid webhooks signed with the dev key, or
           with --kind stripe Stripe webhooks signed with a shared secret) as
           length-prefixed records, one file per wrk thread (PREFIX.0, PREFIX.1, ...)
  seed     insert events (and optionally pending deliveries) straight into a migrated
           HookGate SQLite file, with the gate stopped
  dedupsql time the store's dedup statement alone (INSERT .. ON CONFLICT DO NOTHING of
           already-stored ids, rolled back) on a seeded file
  fixedrate open-loop load at a fixed rate over keep-alive connections; prints latency
           percentiles measured from each request's *scheduled* send time (so queueing
           behind a slow answer counts: no coordinated omission)
  stats    print one figure from the admin /stats JSON (dotted path)

Bodies are the 2-space indented JSON of Fixtures/plaid/TRANSACTIONS.DEFAULT_UPDATE.json
with a unique item_id; tokens are ES256 JWS {"alg":"ES256","kid":KID,"typ":"JWT"} .
{"iat":NOW,"request_body_sha256":HEX}, signature raw R||S, base64url without padding.
With --kind stripe: the bytes of Fixtures/stripe/payment_intent.succeeded.json with a
unique event `id` (evt_ + 24 characters), header `Stripe-Signature: t=NOW,v1=HEX` where
HEX = HMAC-SHA256(secret, "NOW." + body) and the secret is used as written (whsec_ included).
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "Fixtures", "plaid", "TRANSACTIONS.DEFAULT_UPDATE.json")
FIXTURE_ITEM_ID = "wz666MBjYWTp2PDzzggYhM6oWWmBb"
STRIPE_FIXTURE = os.path.join(REPO, "Fixtures", "stripe", "payment_intent.succeeded.json")
STRIPE_FIXTURE_ID = b'"id": "evt_3OYKz2LkdIwHu7ix0QvQ6AzJ"'
STRIPE_DEV_SECRET = "whsec_hookgate_development_stripe_secret"  # public, docs/configuration.md "Development secrets"

_template = None


def body_for(item_id):
    """The fixture's bytes with item_id replaced (same layout: 2-space indent, no final newline)."""
    global _template
    if _template is None:
        with open(FIXTURE, "rb") as f:
            _template = f.read()
        assert _template.count(FIXTURE_ITEM_ID.encode()) == 1, "fixture changed"
    return _template.replace(FIXTURE_ITEM_ID.encode(), item_id.encode())


_stripe_template = None


def stripe_body(event_id):
    """The Stripe fixture's bytes with the event's top-level id replaced (layout unchanged)."""
    global _stripe_template
    if _stripe_template is None:
        with open(STRIPE_FIXTURE, "rb") as f:
            _stripe_template = f.read()
        assert _stripe_template.count(STRIPE_FIXTURE_ID) == 1, "stripe fixture changed"
    return _stripe_template.replace(STRIPE_FIXTURE_ID, b'"id": "evt_%s"' % event_id.encode())


def stripe_signature(secret, body, t):
    return "t=%d,v1=%s" % (t, hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest())


def item_id(tag, index):
    # 29 characters like Plaid's item ids (longer only if the index needs it): tag + zero-padded index
    return tag + "%0*d" % (max(1, 29 - len(tag)), index)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_key = None
_header = None


def _init_signer(pem_path, kid):
    global _key, _header
    from cryptography.hazmat.primitives import serialization
    with open(pem_path, "rb") as f:
        _key = serialization.load_pem_private_key(f.read(), None)
    _header = b64url(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())


def sign(body, iat):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    claims = json.dumps({"iat": iat, "request_body_sha256": hashlib.sha256(body).hexdigest()}, separators=(",", ":")).encode()
    signing_input = _header + b"." + b64url(claims)
    r, s = decode_dss_signature(_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return (signing_input + b"." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))).decode()


def raw_request(host, port, path, header_name, token, body):
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{header_name}: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


def _presign_chunk(job):
    (kind, pem, kid, secret, host, port, path, header_name, tag, indices, iat) = job
    out = []
    if kind == "stripe":
        for i in indices:
            body = stripe_body("%s%0*d" % (tag, max(1, 24 - len(tag)), i))
            out.append(raw_request(host, port, path, header_name, stripe_signature(secret, body, iat), body))
        return out
    if _key is None:
        _init_signer(pem, kid)
    for i in indices:
        body = body_for(item_id(tag, i))
        out.append(raw_request(host, port, path, header_name, sign(body, iat), body))
    return out


def cmd_presign(a):
    if a.sample:
        rng = random.Random(a.seed)
        indices = rng.sample(range(a.of), a.sample)
    else:
        indices = list(range(a.start, a.start + a.count))
        if a.shuffle:
            random.Random(a.seed).shuffle(indices)
    iat = int(time.time())
    chunk = 5000
    path = a.path or ("/webhooks/stripe" if a.kind == "stripe" else "/webhooks/plaid")
    header = a.header or ("Stripe-Signature" if a.kind == "stripe" else "Plaid-Verification")
    secret = a.secret or os.environ.get("STRIPE_WEBHOOK_SECRET") or STRIPE_DEV_SECRET
    jobs = [(a.kind, a.key, a.kid, secret, a.host, a.port, path, header, a.tag, indices[i:i + chunk], iat)
            for i in range(0, len(indices), chunk)]
    started = time.time()
    with multiprocessing.Pool(a.workers) as pool:
        requests = [r for part in pool.map(_presign_chunk, jobs) for r in part]
    files = [open(f"{a.out}.{t}", "wb") for t in range(a.threads)]
    for n, r in enumerate(requests):
        f = files[n % a.threads]
        f.write(b"%d\n" % len(r))
        f.write(r)
    for f in files:
        f.close()
    print(f"presigned {len(requests)} {a.kind} requests (iat {iat}) in {time.time() - started:.1f} s -> {a.out}.[0-{a.threads - 1}]", file=sys.stderr)


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        n = int(data[pos:nl])
        out.append(data[nl + 1:nl + 1 + n])
        pos = nl + 1 + n
    return out


def cmd_seed(a):
    """Bulk-insert events rows [start, start+count) (bodies as presign makes them)."""
    db = sqlite3.connect(a.db, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    have = {r[0] for r in db.execute("SELECT identifier FROM grdb_migrations")}
    assert "v1-events-and-keys" in have, "database not migrated: start the gate once first"
    if a.deliveries:
        assert "v2-outbox" in have, "outbox migration missing"
    now_ms = int(time.time() * 1000)
    fake_token = "eyJhbGciOiJFUzI1NiIsImtpZCI6Imhvb2tnYXRlLWRldi0xIiwidHlwIjoiSldUIn0." + "x" * 110 + "." + "y" * 86
    headers = json.dumps([["Content-Type", "application/json"], ["Plaid-Verification", fake_token]], separators=(",", ":"))
    started = time.time()
    batch = 20000
    db.execute("BEGIN")
    for lo in range(a.start, a.start + a.count, batch):
        rows = []
        for i in range(lo, min(lo + batch, a.start + a.count)):
            body = body_for(item_id(a.tag, i))
            h = hashlib.sha256(body).hexdigest()
            claims = '{"iat":%d,"request_body_sha256":"%s"}' % (now_ms // 1000, h)
            rows.append(("plaid", "sha256:" + h, "TRANSACTIONS.DEFAULT_UPDATE", body, h, headers, "127.0.0.1",
                         "%024x" % i, now_ms, claims))
        db.executemany(
            "INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        if a.deliveries:
            db.execute(
                "INSERT INTO deliveries (event_row, handler, status, attempts, next_attempt_at, order_key, created_at, updated_at) "
                "SELECT id, ?, 'pending', 0, 0, NULL, ?, ? FROM events WHERE id > (SELECT coalesce(max(event_row), 0) FROM deliveries)",
                (a.handler, now_ms, now_ms))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n = db.execute("SELECT count(*) FROM events").fetchone()[0]
    d = db.execute("SELECT count(*) FROM deliveries").fetchone()[0] if "v2-outbox" in have else 0
    db.close()
    print(f"seeded {a.count} events in {time.time() - started:.1f} s; table now holds {n} events, {d} deliveries", file=sys.stderr)


def cmd_dedupsql(a):
    """Rate of the store's INSERT .. ON CONFLICT DO NOTHING for already stored ids (the dedup decision alone)."""
    rng = random.Random(a.seed)
    indices = rng.sample(range(a.of), min(a.sample, a.of))
    rows = []
    for i in indices:
        body = body_for(item_id(a.tag, i))
        h = hashlib.sha256(body).hexdigest()
        rows.append(("plaid", "sha256:" + h, "TRANSACTIONS.DEFAULT_UPDATE", body, h, "[]", "127.0.0.1", "r", 0, None))
    db = sqlite3.connect(a.db, isolation_level=None)
    sql = ("INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims) "
           "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (provider, event_id) DO NOTHING")
    best = 0.0
    for _ in range(a.rounds):
        db.execute("BEGIN IMMEDIATE")
        t = time.perf_counter()
        changed = 0
        for r in rows:
            changed += db.execute(sql, r).rowcount
        dt = time.perf_counter() - t
        db.execute("ROLLBACK")
        assert changed == 0, f"{changed} rows were new: the sample is not stored"
        best = max(best, len(rows) / dt)
    db.close()
    print(f"{best:.0f}")


class _Conn(asyncio.Protocol):
    def __init__(self, client):
        self.client, self.buf, self.transport, self.current = client, b"", None, None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while self.current is not None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self.buf) < end + 4 + length:
                return
            status = int(head[9:12])
            body = self.buf[end + 4:end + 4 + length]
            self.buf = self.buf[end + 4 + length:]
            scheduled, sent = self.current
            self.current = None
            self.client.done(self, status, body, scheduled, sent)

    def connection_lost(self, exc):
        if self.current is not None:
            self.client.failed += 1
            self.current = None
        self.client.lost += 1


class _FixedRate:
    def __init__(self, a, requests):
        self.a, self.requests = a, requests
        self.idle, self.queue = [], []
        self.lat_sched, self.lat_service = [], []
        self.statuses = {}
        self.failed = self.lost = self.accepted = self.duplicate = 0
        self.outstanding = 0
        self.next = 0
        self.finished = None

    def send(self, conn, scheduled):
        r = self.requests[self.next % len(self.requests)]
        self.next += 1
        conn.current = (scheduled, time.perf_counter())
        conn.transport.write(r)

    def done(self, conn, status, body, scheduled, sent):
        now = time.perf_counter()
        if now >= self.measure_from:
            self.lat_sched.append(now - scheduled)
            self.lat_service.append(now - sent)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if b'"accepted"' in body:
                self.accepted += 1
            elif b'"duplicate"' in body:
                self.duplicate += 1
        self.outstanding -= 1
        if self.queue:
            self.send(conn, self.queue.pop(0))
        else:
            self.idle.append(conn)
        if self.outstanding == 0 and self.finished is not None and not self.finished.done():
            self.finished.set_result(None)

    async def run(self):
        loop = asyncio.get_running_loop()
        conns = []
        for _ in range(self.a.connections):
            _, p = await loop.create_connection(lambda: _Conn(self), self.a.host, self.a.port)
            conns.append(p)
        self.idle = list(conns)
        rate, total_s = self.a.rate, self.a.warmup + self.a.duration
        total = int(rate * total_s)
        t0 = time.perf_counter()
        self.measure_from = t0 + self.a.warmup
        i = 0
        while i < total:
            now = time.perf_counter()
            due = min(total, int((now - t0) * rate) + 1)
            while i < due:
                scheduled = t0 + i / rate
                self.outstanding += 1
                if self.idle:
                    self.send(self.idle.pop(), scheduled)
                else:
                    self.queue.append(scheduled)
                i += 1
            await asyncio.sleep(0.0005)
        self.finished = loop.create_future()
        if self.outstanding:
            await asyncio.wait_for(self.finished, 30)
        elapsed = time.perf_counter() - self.measure_from
        for c in conns:
            c.transport.close()
        return elapsed


def _pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def cmd_fixedrate(a):
    requests = []
    for path in a.files:
        requests += read_records(path)
    client = _FixedRate(a, requests)
    elapsed = asyncio.run(client.run())
    n = len(client.lat_sched)
    ms = lambda v: v * 1000
    result = {
        "target_rate": a.rate, "achieved_rate": n / elapsed if elapsed > 0 else 0, "measured": n,
        "p50_ms": ms(_pct(client.lat_sched, 50)), "p90_ms": ms(_pct(client.lat_sched, 90)),
        "p99_ms": ms(_pct(client.lat_sched, 99)), "p999_ms": ms(_pct(client.lat_sched, 99.9)), "max_ms": ms(max(client.lat_sched or [0])),
        "service_p50_ms": ms(_pct(client.lat_service, 50)), "service_p99_ms": ms(_pct(client.lat_service, 99)),
        "statuses": {str(k): v for k, v in client.statuses.items()}, "accepted": client.accepted, "duplicate": client.duplicate,
        "failed": client.failed, "requests_available": len(requests), "requests_sent": client.next,
    }
    print(json.dumps(result))


def _cpu_table():
    """pid -> (ppid, comm, user+system ticks) for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                text = f.read()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        table[int(name)] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]))
    return table


def cmd_foreign(a):
    """CPU used by processes that are not descendants of --root (another user's build, tests...).
    `foreign snapshot FILE` saves a snapshot; `foreign diff FILE` prints: percent-of-one-core top-consumers."""
    table = _cpu_table()
    if a.action == "snapshot":
        with open(a.file, "w") as f:
            json.dump({"t": time.time(), "cpu": {str(k): v for k, v in table.items()}}, f)
        return
    with open(a.file) as f:
        old = json.load(f)
    elapsed = time.time() - old["t"]
    def ours(pid):
        seen = 0
        while pid > 1 and seen < 64:
            if pid == a.root:
                return True
            pid = table.get(pid, (0,))[0]
            seen += 1
        return False
    hz = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid, (ppid, comm, ticks) in table.items():
        if ours(pid) or pid == os.getpid() or pid == 2 or ppid == 2:  # ours, or a kernel thread (jbd2 works for our fsyncs)
            continue
        before = old["cpu"].get(str(pid), (0, comm, 0))[2] if str(pid) in old["cpu"] else 0
        delta = ticks - before
        if delta > 0:
            used[comm] = used.get(comm, 0) + delta
    total = sum(used.values()) / hz / elapsed * 100 if elapsed > 0 else 0
    top = ",".join(f"{c}:{t / hz / elapsed * 100:.0f}%" for c, t in sorted(used.items(), key=lambda x: -x[1])[:3] if t / hz / elapsed >= 0.01)
    print(f"{total:.0f} {top or '-'}")


def cmd_stats(a):
    with urllib.request.urlopen(a.url, timeout=10) as r:
        doc = json.load(r)
    for part in a.path.split("."):
        doc = doc[part]
    print(doc)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("presign")
    s.add_argument("--out", required=True)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    s.add_argument("--tag", required=True)
    s.add_argument("--start", type=int, default=0)
    s.add_argument("--count", type=int, default=0)
    s.add_argument("--shuffle", action="store_true")
    s.add_argument("--sample", type=int, default=0, help="sign SAMPLE random indices of [0, OF) instead")
    s.add_argument("--of", type=int, default=0)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--kind", choices=["plaid", "stripe"], default="plaid")
    s.add_argument("--path", default="", help="default /webhooks/<kind>")
    s.add_argument("--header", default="", help="default Plaid-Verification or Stripe-Signature")
    s.add_argument("--secret", default="", help="stripe: the signing secret as written (whsec_...); "
                   "default $STRIPE_WEBHOOK_SECRET, else the development secret")
    s.add_argument("--key", default=os.path.join(REPO, "Keys", "dev-private.pem"))
    s.add_argument("--kid", default="hookgate-dev-1")
    s.set_defaults(fn=cmd_presign)
    s = sub.add_parser("seed")
    s.add_argument("--db", required=True)
    s.add_argument("--tag", required=True)
    s.add_argument("--start", type=int, default=0)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--deliveries", action="store_true", help="also one pending delivery per event")
    s.add_argument("--handler", default="sink")
    s.set_defaults(fn=cmd_seed)
    s = sub.add_parser("dedupsql")
    s.add_argument("--db", required=True)
    s.add_argument("--tag", required=True)
    s.add_argument("--sample", type=int, default=10000)
    s.add_argument("--of", type=int, required=True)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--rounds", type=int, default=3)
    s.set_defaults(fn=cmd_dedupsql)
    s = sub.add_parser("fixedrate")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--duration", type=float, default=10)
    s.add_argument("--warmup", type=float, default=2)
    s.add_argument("--connections", type=int, default=32)
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_fixedrate)
    s = sub.add_parser("foreign")
    s.add_argument("action", choices=["snapshot", "diff"])
    s.add_argument("file")
    s.add_argument("--root", type=int, required=True)
    s.set_defaults(fn=cmd_foreign)
    s = sub.add_parser("stats")
    s.add_argument("--url", required=True)
    s.add_argument("path")
    s.set_defaults(fn=cmd_stats)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
