#!/usr/bin/env python3
"""HookGate reliability suites: crash, outage, hostile clients, nginx in front.

Each suite starts a real `hookgate serve` (normally the release build) on loopback,
drives it, checks the promises, and prints what was tried and what happened.

    python3 Tests/Reliability/reliability.py --binary .build/release/hookgate all

Every loop is bounded in count and time; traffic goes to 127.0.0.0/8 only.
Exit status 0 when every check held. The last line is "reliability: N passed, M failed".
"""

import argparse
import asyncio
import base64
import hashlib
import http.client
import http.server
import json
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEV_KEY = serialization.load_pem_private_key(open(os.path.join(ROOT, "Keys", "dev-private.pem"), "rb").read(), None)
DEV_JWKS = os.path.join(ROOT, "Keys", "dev.jwks.json")
KID = "hookgate-dev-1"


# ---------------------------------------------------------------------------- helpers

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(body: bytes, kid: str = KID, key=DEV_KEY, iat=None) -> str:
    """A Plaid-style ES256 token for `body` (signature raw R||S)."""
    header = b64url(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": int(time.time()) if iat is None else iat, "request_body_sha256": hashlib.sha256(body).hexdigest()}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    der = key.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return f"{header}.{payload}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def plaid_body(n) -> bytes:
    return (
        '{\n  "webhook_type": "TRANSACTIONS",\n  "webhook_code": "DEFAULT_UPDATE",\n'
        f'  "item_id": "item-{n}",\n  "new_transactions": 3,\n  "environment": "sandbox"\n}}'
    ).encode()


def event_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, interval=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


def http_request(port, method, path, body=b"", headers=None, timeout=10, source=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, what):
        if condition:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed += 1
            print(f"  FAIL  {what}")
        return condition


class Gate:
    """A `hookgate serve` process on a temporary folder."""

    def __init__(self, binary, directory, yaml, log_level="warning"):
        self.binary = binary
        self.directory = directory
        self.config = os.path.join(directory, "hookgate.yaml")
        with open(self.config, "w") as f:
            f.write(yaml)
        self.log_level = log_level
        self.process = None
        self.log = open(os.path.join(directory, "gate.log"), "ab")

    def start(self, admin_port):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", self.config, "--log-level", self.log_level],
            cwd=self.directory, stdout=self.log, stderr=self.log)
        ok = wait_for(lambda: http_request(admin_port, "GET", "/readyz", timeout=1)[0] == 200, 30)
        if not ok:
            raise RuntimeError(f"gate did not become ready; see {self.directory}/gate.log")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return -9
        return self.process.returncode if self.process else None


class QuietServer(http.server.ThreadingHTTPServer):
    """A threaded server that does not print a traceback when a killed gate resets a connection."""

    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class Sink:
    """A loopback HTTP handler recording the Hookgate-Event-Id of every delivery."""

    def __init__(self, port):
        self.port = port
        self.received = []
        self.lock = threading.Lock()
        self.server = None
        self.status = 200

    def start(self):
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with sink.lock:
                    sink.received.append((self.headers.get("Hookgate-Event-Id"), hashlib.sha256(body).hexdigest()))
                self.send_response(sink.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ids(self):
        with self.lock:
            return [event for event, _ in self.received]


def base_yaml(public, admin, sink_port=None, extra="", backoff="initial_backoff: 0.2\n  max_backoff: 1\n  give_up_after: 600"):
    handlers = ""
    if sink_port:
        handlers = f"""
handlers:
  - name: sink
    match: ["*"]
    concurrency: 32
    http:
      url: http://127.0.0.1:{sink_port}/hooks
      timeout: 5
"""
    return f"""
server:
  host: 127.0.0.1
  port: {public}
  max_body_bytes: 65536
  read_timeout: 5
admin:
  host: 127.0.0.1
  port: {admin}
database:
  path: hookgate.sqlite
  durability: full
delivery:
  {backoff}
providers:
  plaid:
    keys_file: {DEV_JWKS}
{extra}
{handlers}
"""


def stats(admin):
    return json.loads(http_request(admin, "GET", "/stats", timeout=5)[2])


def pending_deliveries(admin):
    d = stats(admin)["deliveries"]
    return d["pending"] + d["retrying"] + d["in_flight"]


class Load:
    """Threads sending unique signed Plaid webhooks until stopped; records every 200."""

    def __init__(self, port, threads=4, prefix=None):
        self.port = port
        self.threads = threads
        self.prefix = prefix or uuid.uuid4().hex[:8]
        self.counter = 0
        self.lock = threading.Lock()
        self.sent = 0
        self.acknowledged = {}
        self.errors = 0
        self.running = False
        self.workers = []

    def next_body(self):
        with self.lock:
            self.counter += 1
            return plaid_body(f"{self.prefix}-{self.counter}")

    def worker(self):
        connection = None
        while self.running:
            body = self.next_body()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("POST", "/webhooks/plaid", body=body,
                                   headers={"Plaid-Verification": sign(body), "Content-Type": "application/json"})
                with self.lock:
                    self.sent += 1
                response = connection.getresponse()
                answer = response.read()
                if response.status == 200:
                    with self.lock:
                        self.acknowledged[event_id(body)] = json.loads(answer)["status"]
            except Exception:
                with self.lock:
                    self.errors += 1
                if connection:
                    connection.close()
                connection = None
                time.sleep(0.02)
        if connection:
            connection.close()

    def start(self):
        self.running = True
        self.workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.threads)]
        for w in self.workers:
            w.start()

    def stop(self):
        self.running = False
        for w in self.workers:
            w.join(15)

    def acked(self):
        with self.lock:
            return len(self.acknowledged)


# ---------------------------------------------------------------------------- suites

def suite_crash(binary, results, cycles):
    print(f"\n== crash: kill -9 under load, {cycles} times, then check every acknowledged webhook")
    directory = tempfile.mkdtemp(prefix="hookgate-crash-")
    public, admin, sink_port = free_port(), free_port(), free_port()
    sink = Sink(sink_port)
    sink.start()
    gate = Gate(binary, directory, base_yaml(public, admin, sink_port))
    load = Load(public, threads=4)
    started = time.monotonic()
    kills = 0
    try:
        for cycle in range(cycles):
            gate.start(admin)
            if not load.running:
                load.start()
            before = load.acked()
            # Confirm load is flowing before pulling the plug.
            flowing = wait_for(lambda: load.acked() >= before + 20, 20, 0.01)
            time.sleep(random.uniform(0.05, 0.6))
            gate.kill9()
            kills += 1
            if not flowing:
                print(f"  cycle {cycle}: load was not flowing before the kill")
        load.stop()
        gate.start(admin)
        drained = wait_for(lambda: pending_deliveries(admin) == 0, 180, 0.2)
        final_stats = stats(admin)
        code = gate.stop()
    finally:
        load.stop()
        if gate.process and gate.process.poll() is None:
            gate.process.kill()
        sink.stop()

    database = sqlite3.connect(os.path.join(directory, "hookgate.sqlite"))
    stored = {row[0] for row in database.execute("SELECT event_id FROM events WHERE provider = 'plaid'")}
    integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
    undelivered = database.execute("SELECT count(*) FROM deliveries WHERE status != 'delivered'").fetchone()[0]
    database.close()
    acknowledged = set(load.acknowledged)
    delivered = set(sink.ids())
    lost = acknowledged - stored
    accepted_not_delivered = stored - delivered
    print(f"  kills {kills}, seconds {time.monotonic() - started:.1f}")
    print(f"  sent {load.sent}, acknowledged {len(acknowledged)}, stored {len(stored)}, delivered {len(delivered & stored)}"
          f" (deliveries received {len(sink.ids())}, so {len(sink.ids()) - len(delivered)} repeats), lost {len(lost)}")
    results.check(kills >= cycles, f"killed the gate with SIGKILL {kills} times under load")
    results.check(len(acknowledged) > 0, "webhooks were acknowledged")
    results.check(not lost, f"every acknowledged webhook is stored (lost: {len(lost)})")
    results.check(integrity == "ok", f"PRAGMA integrity_check = {integrity}")
    results.check(drained and undelivered == 0, f"every delivery finished after the last restart (not delivered: {undelivered})")
    results.check(not accepted_not_delivered, f"every stored event reached the sink at least once (missing: {len(accepted_not_delivered)})")
    results.check(code == 0, f"graceful stop after the run exits 0 (got {code})")
    shutil.rmtree(directory, ignore_errors=True)
    return {"kills": kills, "sent": load.sent, "acknowledged": len(acknowledged), "stored": len(stored),
            "delivered": len(delivered & stored), "lost": len(lost), "received_by_sink": len(sink.ids())}


def suite_outage(binary, results, seconds):
    print(f"\n== outage: the handler is down for {seconds} s under load, then back")
    directory = tempfile.mkdtemp(prefix="hookgate-outage-")
    public, admin, sink_port = free_port(), free_port(), free_port()
    gate = Gate(binary, directory, base_yaml(public, admin, sink_port))
    sink = Sink(sink_port)
    load = Load(public, threads=2)
    try:
        gate.start(admin)
        load.start()
        time.sleep(seconds)
        load.stop()
        during = stats(admin)["deliveries"]
        sink.start()
        drained = wait_for(lambda: pending_deliveries(admin) == 0, 120, 0.2)
        after = stats(admin)["deliveries"]
        gate.stop()
    finally:
        load.stop()
        gate.stop()
        sink.stop()
    database = sqlite3.connect(os.path.join(directory, "hookgate.sqlite"))
    stored = {row[0] for row in database.execute("SELECT event_id FROM events")}
    retried = database.execute("SELECT count(*) FROM deliveries WHERE attempts > 1").fetchone()[0]
    attempts = database.execute("SELECT count(*) FROM attempts").fetchone()[0]
    max_attempts = database.execute("SELECT max(attempts) FROM deliveries").fetchone()[0]
    database.close()
    delivered = set(sink.ids())
    lost = set(load.acknowledged) - delivered
    print(f"  acknowledged {len(load.acknowledged)}, waiting during the outage {during['pending'] + during['retrying'] + during['in_flight']},"
          f" delivered {len(delivered)}, deliveries retried {retried} (attempts recorded {attempts}, most for one delivery {max_attempts})")
    results.check(len(load.acknowledged) > 100, f"load flowed during the outage ({len(load.acknowledged)} acknowledged)")
    results.check(during["succeeded"] == 0, "nothing counted as delivered while the handler was down")
    results.check(drained, "the backlog drained once the handler was back")
    results.check(not lost and set(load.acknowledged) <= stored, f"zero events lost (lost: {len(lost)})")
    results.check(retried > 0 and attempts > len(delivered), f"retries were recorded ({retried} deliveries retried)")
    results.check(after["dead"] == 0, "no delivery went dead")
    shutil.rmtree(directory, ignore_errors=True)
    return {"acknowledged": len(load.acknowledged), "delivered": len(delivered), "retried": retried, "attempts": attempts}


class KeyEndpoint:
    """A stand-in for Plaid's key endpoint that knows no key and counts requests."""

    def __init__(self, port):
        self.port = port
        self.count = 0
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                endpoint.count += 1
                body = b'{"error_code":"INVALID_WEBHOOK_VERIFICATION_KEY_ID"}'
                self.send_response(400)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


async def slow_client(port, mode, hold, opened, closed_after, held_for):
    """Opens a connection and trickles a request one byte per second."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return "refused"
    opened.append(1)
    began = time.monotonic()
    if mode == "headers":
        prefix, rest = b"POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"a" * 100
    else:
        prefix, rest = b"POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", b"{" + b" " * 999
    try:
        writer.write(prefix)
        await writer.drain()
        # Monotonic: a step of the wall clock (NTP, a paused VM) must not end the trickle early.
        deadline = time.monotonic() + hold
        for byte in rest:
            if time.monotonic() > deadline:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            if reader.at_eof():
                closed_after.append(time.monotonic() - began)
                return "closed"
            await asyncio.sleep(1)
        try:
            data = await asyncio.wait_for(reader.read(200), timeout=1)
        except asyncio.TimeoutError:
            held_for.append(time.monotonic() - began)
            return "held"
        if not data:
            closed_after.append(time.monotonic() - began)
        return "answered " + data.split(b"\r\n")[0].decode(errors="replace") if data else "closed"
    except (ConnectionError, OSError):
        closed_after.append(time.monotonic() - began)
        return "closed"
    finally:
        writer.close()


async def hostile_phase(public, count, hold, latencies, closed_after, held_for):
    opened = []
    clients = [asyncio.create_task(slow_client(public, "headers" if i % 2 == 0 else "body", hold, opened, closed_after, held_for))
               for i in range(count)]
    await asyncio.sleep(2)
    loop = asyncio.get_running_loop()
    for n in range(100):
        body = plaid_body(f"hostile-{uuid.uuid4().hex}")
        start = time.perf_counter()
        status, _, _ = await loop.run_in_executor(None, lambda b=body: http_request(public, "POST", "/webhooks/plaid", b, {"Plaid-Verification": sign(b)}))
        latencies.append(((time.perf_counter() - start) * 1000, status))
        await asyncio.sleep(0.02)
    outcomes = await asyncio.gather(*clients)
    return len(opened), outcomes


def first_line(data: bytes) -> str:
    return data.split(b"\r\n")[0].decode(errors="replace")


def raw_exchange(port, payload, timeout=5):
    """Sends bytes and returns (answer bytes, whether the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(payload)
        except OSError:
            pass
        data = b""
        closed = False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except socket.timeout:
            pass
        except OSError:
            closed = True
        return data, closed


def suite_hostile(binary, results, slow_count, hold):
    print(f"\n== hostile clients: {slow_count} slow connections, oversized and malformed requests, a random-kid flood")
    directory = tempfile.mkdtemp(prefix="hookgate-hostile-")
    public, admin, keys_port = free_port(), free_port(), free_port()
    endpoint = KeyEndpoint(keys_port)
    extra = f"""  linkmoney:
    key_url: http://127.0.0.1:{keys_port}/webhook__verification_key
    client_id: bench
    client_secret: bench
keys:
  cooldown: 60
  max_fetches_per_minute: 30
"""
    gate = Gate(binary, directory, base_yaml(public, admin, extra=extra))
    report = {}
    try:
        gate.start(admin)
        # Baseline latency with no abuse.
        baseline = []
        for n in range(50):
            body = plaid_body(f"baseline-{uuid.uuid4().hex}")
            start = time.perf_counter()
            http_request(public, "POST", "/webhooks/plaid", body, {"Plaid-Verification": sign(body)})
            baseline.append((time.perf_counter() - start) * 1000)
        latencies, closed_after, held_for = [], [], []
        opened, outcomes = asyncio.run(hostile_phase(public, slow_count, hold, latencies, closed_after, held_for))
        served = [ms for ms, status in latencies if status == 200]
        p50, p99 = statistics.median(served), sorted(served)[int(len(served) * 0.99) - 1]
        base50 = statistics.median(baseline)
        tally = {}
        for outcome in outcomes:
            key = outcome if not outcome.startswith("answered") else outcome
            tally[key] = tally.get(key, 0) + 1
        print(f"  slow connections opened {opened}; their fate: {tally}")
        if closed_after:
            print(f"  closed by the gate after {min(closed_after):.1f} to {max(closed_after):.1f} s (read_timeout 5 s, idle close 7 s)")
        if held_for:
            print(f"  held for {min(held_for):.1f} to {max(held_for):.1f} s with no answer and no close")
        print(f"  valid webhooks during the abuse: {len(served)}/100 accepted, p50 {p50:.1f} ms, p99 {p99:.1f} ms (baseline p50 {base50:.1f} ms)")
        results.check(opened == slow_count, f"{slow_count} slow connections were opened at once")
        results.check(len(served) == 100, "every valid webhook was accepted while they were held")
        results.check(p99 < 250, f"valid webhooks kept normal latency (p99 {p99:.1f} ms < 250 ms)")
        results.check(tally.get("held", 0) == 0, "no slow connection was held open past the read timeout")
        report.update(slow=opened, p50=p50, p99=p99, baseline_p50=base50, fates=tally)

        # Oversized headers: refused with 400 and closed.
        big_header = b"POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\nContent-Length: 2\r\n\r\n{}"
        answer, closed = raw_exchange(public, big_header)
        print(f"  70 KB header: {first_line(answer)!r}, closed {closed}")
        results.check(answer.startswith(b"HTTP/1.1 400") and closed, "an oversized header block is answered 400 and the connection closed")

        # Oversized body: refused from Content-Length before the body is sent.
        with socket.create_connection(("127.0.0.1", public), timeout=5) as s:
            start = time.perf_counter()
            s.sendall(b"POST /webhooks/plaid HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n")
            first = s.recv(4096)
            elapsed = (time.perf_counter() - start) * 1000
        print(f"  10 MB Content-Length, no body sent: {first_line(first)!r} after {elapsed:.1f} ms")
        results.check(first.startswith(b"HTTP/1.1 413") and b"body_too_large" in first, "an oversized body is refused early (413 before any body byte)")

        # Malformed HTTP: answered and closed.
        for payload in [b"GARBAGE\r\n\r\n", b"POST /webhooks/plaid HTTP/9.9\r\n\r\n", b"POST /webhooks/plaid HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                        b"POST /webhooks/plaid HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"]:
            answer, closed = raw_exchange(public, payload)
            print(f"  malformed {payload[:40]!r}: {first_line(answer)!r}, closed {closed}")
            results.check(answer.startswith(b"HTTP/1.1 4") and closed, f"malformed request {payload[:24]!r} is answered 4xx and closed")

        # A flood of tokens with random kids: bounded key fetches.
        flood = 2000
        body = plaid_body("flood")
        codes = {}
        def flood_worker(n):
            for i in range(n):
                token = sign(body, kid="random-" + uuid.uuid4().hex)
                status, _, answer = http_request(public, "POST", "/webhooks/linkmoney", body, {"Webhook-Verification": token})
                code = json.loads(answer).get("error", str(status)) if answer else str(status)
                codes[code] = codes.get(code, 0) + 1
        workers = [threading.Thread(target=flood_worker, args=(flood // 4,)) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(f"  {flood} tokens with random kids: answers {codes}; key endpoint requests {endpoint.count}")
        results.check(endpoint.count <= 31, f"the random-kid flood caused a bounded number of key fetches ({endpoint.count} <= 31)")
        results.check(sum(codes.values()) == flood, "every flood request was answered")
        report.update(flood=flood, key_fetches=endpoint.count, flood_answers=codes)
        alive = http_request(admin, "GET", "/readyz")[0] == 200
        results.check(alive, "the gate is still ready after the abuse")
    finally:
        gate.stop()
        endpoint.stop()
    shutil.rmtree(directory, ignore_errors=True)
    return report


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream hookgate_public {{ server 127.0.0.1:{public}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{port};
        include {locations};
    }}
}}
"""


def suite_nginx(binary, results):
    print("\n== nginx in front: the shipped location blocks (deploy/nginx/hookgate-locations.conf)")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        results.check(False, "nginx is installed (.ci/run installs it)")
        return {}
    directory = tempfile.mkdtemp(prefix="hookgate-nginx-")
    public, admin, port = free_port(), free_port(), free_port()
    dead_keys = free_port()
    extra = f"""  linkmoney:
    key_url: http://127.0.0.1:{dead_keys}/webhook__verification_key
    client_id: x
    client_secret: y
"""
    yaml = base_yaml(public, admin, extra=extra).replace("max_body_bytes: 65536", "max_body_bytes: 1048576")
    yaml = yaml.replace("  read_timeout: 5\n", "  read_timeout: 5\n  trusted_proxies: [127.0.0.1/32]\n")
    gate = Gate(binary, directory, yaml)
    with open(os.path.join(directory, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(dir=directory, public=public, port=port, locations=os.path.join(ROOT, "deploy", "nginx", "hookgate-locations.conf")))
    proxy = subprocess.Popen([nginx, "-c", os.path.join(directory, "nginx.conf"), "-p", directory],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(directory, "nginx.out"), "wb"))
    report = {}
    try:
        gate.start(admin)
        results.check(wait_for(lambda: http_request(port, "GET", "/", timeout=1)[0] == 404, 10), "nginx is up and hides everything but /webhooks/")
        # A client on another loopback address, with a forged X-Forwarded-For.
        body = plaid_body("via-nginx")
        status, headers, answer = http_request(port, "POST", "/webhooks/plaid", body,
                                               {"Plaid-Verification": sign(body), "Content-Type": "application/json",
                                                "X-Forwarded-For": "203.0.113.66"}, source="127.0.0.2")
        print(f"  accepted through nginx: {status} {answer.decode()}")
        results.check(status == 200 and b'"accepted"' in answer, "a signed webhook is accepted through nginx, body passed byte-exact")
        database = sqlite3.connect(os.path.join(directory, "hookgate.sqlite"))
        row = database.execute("SELECT client_ip, request_id, body FROM events WHERE event_id = ?", (event_id(body),)).fetchone()
        database.close()
        print(f"  stored client_ip {row[0]}, request_id {row[1]}")
        results.check(row[0] == "127.0.0.2", "the client address is the real peer nginx saw, not the forged X-Forwarded-For")
        results.check(row[2] == body, "the stored body is byte-identical")
        results.check(len(row[1]) == 32, "nginx's $request_id reached the gate as X-Request-Id")
        status, _, answer = http_request(port, "POST", "/webhooks/plaid", body, {"Plaid-Verification": sign(body, key=ec.generate_private_key(ec.SECP256R1()))})
        results.check(status == 401 and answer == b'{"error":"bad_signature"}', f"a forged webhook's 401 code passes through ({status} {answer!r})")
        status, headers, answer = http_request(port, "POST", "/webhooks/linkmoney", body, {"Webhook-Verification": sign(body)})
        results.check(status == 503 and headers.get("Retry-After") and b"key_unavailable" in answer,
                      f"503 key_unavailable with Retry-After passes through ({status}, Retry-After {headers.get('Retry-After')})")
        big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
        status, _, _ = http_request(port, "POST", "/webhooks/plaid", big, {"Plaid-Verification": sign(big)})
        results.check(status == 413, f"nginx refuses a 2 MiB body with 413 (client_max_body_size) ({status})")
        status, _, _ = http_request(port, "GET", "/stats")
        results.check(status == 404, "the admin endpoints are not reachable through nginx")
        report.update(client_ip=row[0])
    finally:
        gate.stop()
        proxy.send_signal(signal.SIGQUIT)
        try:
            proxy.wait(10)
        except subprocess.TimeoutExpired:
            proxy.kill()
    shutil.rmtree(directory, ignore_errors=True)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "hookgate"))
    parser.add_argument("--cycles", type=int, default=20, help="kill -9 cycles in the crash suite")
    parser.add_argument("--outage", type=float, default=6, help="seconds the handler is down in the outage suite")
    parser.add_argument("--slow", type=int, default=1000, help="slow connections in the hostile suite")
    parser.add_argument("--hold", type=float, default=12, help="seconds a slow client keeps trickling")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("suites", nargs="*", default=["all"], choices=["all", "crash", "outage", "hostile", "nginx"])
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"no executable at {args.binary}: swift build -c release first")
    suites = ["crash", "outage", "hostile", "nginx"] if "all" in args.suites else args.suites
    results = Results()
    figures = {}
    started = time.monotonic()
    for suite in suites:
        if suite == "crash":
            figures["crash"] = suite_crash(args.binary, results, args.cycles)
        elif suite == "outage":
            figures["outage"] = suite_outage(args.binary, results, args.outage)
        elif suite == "hostile":
            figures["hostile"] = suite_hostile(args.binary, results, args.slow, args.hold)
        elif suite == "nginx":
            figures["nginx"] = suite_nginx(args.binary, results)
    print(f"\nreliability suites took {time.monotonic() - started:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2, default=str)
    print(f"reliability: {results.passed} passed, {results.failed} failed")
    sys.exit(0 if results.failed == 0 else 1)


if __name__ == "__main__":
    main()
