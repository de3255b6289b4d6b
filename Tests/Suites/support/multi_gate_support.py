"""Helpers of Tests/Suites/multi_gate.py: the test cluster's PostgreSQL (psql, pg_ctl),
a handler that records every delivery, and `hookgate serve` processes sharing one database.

The cluster is the one Tests/postgres-cluster.sh starts; its `HOOKGATE_TEST_*`
variables say where it is and how to stop and start it."""

import hashlib
import http.client
import http.server
import json
import os
import pwd
import random
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

from console_support import DEV_JWKS, HEADERS, free_port, sign

REQUIRED = ("HOOKGATE_TEST_DATABASE_URL", "HOOKGATE_TEST_PGCTL", "HOOKGATE_TEST_PGDATA", "HOOKGATE_TEST_PGUSER")


class ClusterError(RuntimeError):
    pass


def event_id(body: bytes) -> str:
    """A Plaid event's id: the SHA-256 of the raw body (the contract's event identity)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def plaid_body(run, check, item_id, seq) -> bytes:
    """A unique Plaid TRANSACTIONS webhook; `item_id` is the handler's order key."""
    return json.dumps({
        "webhook_type": "TRANSACTIONS", "webhook_code": "DEFAULT_UPDATE", "item_id": item_id,
        "seq": seq, "check": check, "run": run, "new_transactions": 1, "environment": "sandbox",
    }, indent=2).encode()


# ---------------------------------------------------------------------------- PostgreSQL

class Postgres:
    """The test cluster: psql as its superuser over TCP (SCRAM), pg_ctl as its OS user."""

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        missing = [name for name in REQUIRED if not environ.get(name)]
        if missing:
            raise ClusterError(
                f"{', '.join(missing)} not set: this suite needs the test PostgreSQL cluster "
                "(bash Tests/run.sh starts it; by hand: eval \"$(bash Tests/postgres-cluster.sh start \"$(mktemp -d)\")\")")
        self.url = environ["HOOKGATE_TEST_DATABASE_URL"]
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.username:
            raise ClusterError(f"HOOKGATE_TEST_DATABASE_URL is not a postgresql://user:password@host:port/db URL: {self.url}")
        self.parts = parts
        self.host = parts.hostname
        self.port = parts.port or 5432
        self.user = urllib.parse.unquote(parts.username)
        self.password = urllib.parse.unquote(parts.password or "")
        self.pg_ctl = environ["HOOKGATE_TEST_PGCTL"]
        self.pgdata = environ["HOOKGATE_TEST_PGDATA"]
        self.os_user = environ["HOOKGATE_TEST_PGUSER"]
        self.log = environ.get("HOOKGATE_TEST_PGLOG") or os.path.join(os.path.dirname(self.pgdata), "log")
        beside = os.path.join(os.path.dirname(self.pg_ctl), "psql")
        self.psql_path = beside if os.access(beside, os.X_OK) else shutil.which("psql")
        if not os.access(self.pg_ctl, os.X_OK):
            raise ClusterError(f"HOOKGATE_TEST_PGCTL={self.pg_ctl} is not executable")
        if self.psql_path is None:
            raise ClusterError("psql not found (beside pg_ctl or on PATH)")
        current = pwd.getpwuid(os.geteuid()).pw_name
        if self.os_user != current and os.geteuid() != 0:
            raise ClusterError(f"pg_ctl must run as {self.os_user}, but this is {current} (not root, so no runuser)")

    def url_for(self, database):
        """The cluster's URL with another database name."""
        return urllib.parse.urlunsplit((self.parts.scheme, self.parts.netloc, "/" + database, "", ""))

    def psql(self, sql, database="postgres", timeout=30):
        environment = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="5")
        result = subprocess.run(
            [self.psql_path, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
             "-U", self.user, "-d", database, "-c", sql],
            capture_output=True, text=True, env=environment, timeout=timeout)
        if result.returncode != 0:
            raise ClusterError(f"psql {sql!r}: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')

    def drop_database(self, name):
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def is_up(self):
        try:
            return self.psql("SELECT 1", timeout=10) == "1"
        except (ClusterError, subprocess.TimeoutExpired):
            return False

    def _pg_ctl(self, *arguments, timeout=60):
        command = [self.pg_ctl, *arguments]
        if self.os_user != pwd.getpwuid(os.geteuid()).pw_name:
            command = ["runuser", "-u", self.os_user, "--"] + command
        # From the cluster's folder: the OS user may not be allowed into our working directory.
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                cwd=os.path.dirname(os.path.abspath(self.pgdata)), stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise ClusterError(f"{' '.join(command)} exited {result.returncode}: {(result.stdout + result.stderr).strip()}")
        return result.stdout

    def stop_server(self):
        self._pg_ctl("stop", "-D", self.pgdata, "-m", "fast", "-w", "-t", "30")

    def start_server(self):
        self._pg_ctl("start", "-D", self.pgdata, "-l", self.log, "-w", "-t", "30")


# ---------------------------------------------------------------------------- the handler

class QuietServer(http.server.ThreadingHTTPServer):
    """Threaded, many pending connections, no traceback when a killed gate resets one."""

    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass


class Recorder:
    """An HTTP handler on loopback that records every delivery and answers 200.

    Each delivery is a dict: index (arrival order), event_id, attempt, delivery_id,
    item_id and seq (from the body), peer_port (the gate's end of the connection),
    arrived, responding (when the answer started; None while in flight), failed
    (the answer could not be written). `delay` (+ up to `jitter`) seconds pass
    before the answer, to keep deliveries in flight."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.delay = 0.0
        self.jitter = 0.0
        self.server = None
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the gate's connection pool expects

            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    document = json.loads(body)
                except ValueError:
                    document = {}
                if not isinstance(document, dict):
                    document = {}
                record = {
                    "event_id": self.headers.get("Hookgate-Event-Id"), "attempt": self.headers.get("Hookgate-Attempt"),
                    "delivery_id": self.headers.get("Hookgate-Delivery-Id"), "item_id": document.get("item_id"),
                    "seq": document.get("seq"), "peer_port": self.client_address[1], "arrived": time.time(),
                    "responding": None, "failed": False,
                }
                with recorder.lock:
                    record["index"] = len(recorder.records)
                    recorder.records.append(record)
                pause = recorder.delay + (random.uniform(0, recorder.jitter) if recorder.jitter else 0)
                if pause > 0:
                    time.sleep(pause)
                record["responding"] = time.time()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    self.wfile.flush()
                except OSError:
                    record["failed"] = True
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def snapshot(self):
        with self.lock:
            return [dict(record) for record in self.records]

    def arrivals(self, event):
        return [record for record in self.snapshot() if record["event_id"] == event]

    def in_flight(self):
        return [record for record in self.snapshot() if record["responding"] is None]

    def delivered_ids(self):
        """Event ids with at least one delivery answered 200 (the answer written)."""
        return {r["event_id"] for r in self.snapshot() if r["responding"] is not None and not r["failed"]}


def local_tcp_ports(pid):
    """The local ports of the TCP sockets process `pid` holds (from /proc)."""
    inodes = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    if len(fields) > 9 and fields[9] in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports


# ---------------------------------------------------------------------------- gates

class Answer:
    """One HTTP answer: status (None when there was none), headers, the JSON document, the raw text or error."""

    def __init__(self, status=None, headers=None, text="", error=None):
        self.status = status
        self.headers = headers or {}
        self.text = text
        self.error = error
        try:
            self.document = json.loads(text) if text else {}
        except ValueError:
            self.document = {}
        if not isinstance(self.document, dict):
            self.document = {}

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def outcome(self):
        """accepted, duplicate, the error code, or what happened instead."""
        if self.status is None:
            return f"no answer ({self.error})"
        return self.document.get("status") or self.document.get("error") or f"{self.status} {self.text[:80]!r}"

    def __repr__(self):
        return f"{self.status} {self.text[:200]}" if self.status is not None else f"no answer: {self.error}"


def request(port, method, path, body=b"", headers=None, timeout=15):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace"))
    except (OSError, http.client.HTTPException) as error:
        return Answer(error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def gate_yaml(public_port, admin_port, token, database_lines, handler_url, lease, concurrency):
    lease_line = f"  lease: {lease}\n" if lease is not None else ""
    return f"""# Tests/Suites/multi_gate.py
server:
  host: 127.0.0.1
  port: {public_port}
admin:
  host: 127.0.0.1
  port: {admin_port}
  token: {json.dumps(token)}
database:
{database_lines}
providers:
  plaid:
    path: /webhooks/plaid
    keys_file: {json.dumps(DEV_JWKS)}
delivery:
{lease_line}  initial_backoff: 0.2
  max_backoff: 1
handlers:
  - name: recorder
    match: ["plaid:*"]
    order_key: item_id
    concurrency: {concurrency}
    http:
      url: {json.dumps(handler_url)}
      timeout: 5
"""


def postgres_database_lines(url):
    return f"  url: {json.dumps(url)}\n  durability: full"


class GateProcess:
    """One `hookgate serve` on its own loopback ports and folder."""

    def __init__(self, binary, directory, name, database_lines, handler_url, token, lease=2, concurrency=4, ports=None):
        self.binary = os.path.abspath(binary)
        self.name = name
        self.directory = os.path.join(directory, name)
        os.makedirs(self.directory, exist_ok=True)
        self.public_port, self.admin_port = ports or (free_port(), free_port())
        self.token = token
        self.config = os.path.join(self.directory, "hookgate.yaml")
        with open(self.config, "w") as config:
            config.write(gate_yaml(self.public_port, self.admin_port, token, database_lines, handler_url, lease, concurrency))
        self.log_path = os.path.join(self.directory, "gate.log")
        self.process = None
        self.launched_at = None

    def check_config(self):
        """`hookgate serve --config FILE --check`: (exit status, output)."""
        result = subprocess.run([self.binary, "serve", "--config", self.config, "--check"],
                                capture_output=True, text=True, timeout=60, cwd=self.directory)
        return result.returncode, (result.stdout + result.stderr).strip()

    def launch(self):
        log = open(self.log_path, "ab")
        self.launched_at = time.time()
        self.process = subprocess.Popen([self.binary, "serve", "--config", self.config, "--log-level", "info"],
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.directory)
        log.close()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def readyz(self, timeout=5):
        return request(self.admin_port, "GET", "/readyz", timeout=timeout)

    def wait_ready(self, seconds):
        """Seconds from launch until /readyz answered 200; raises when it exits or the time runs out."""
        deadline = time.time() + seconds
        last = None
        while time.time() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited with {self.process.returncode}: {' | '.join(self.log_tail(5))}")
            last = self.readyz(timeout=2)
            if last.status == 200:
                return time.time() - self.launched_at
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {seconds} s (last /readyz: {last!r})")

    def post(self, body, token=None, timeout=15):
        """POSTs a Plaid webhook signed with the development key (fresh `iat` unless `token`)."""
        headers = {"Content-Type": "application/json", HEADERS["plaid"]: token or sign(body)}
        return request(self.public_port, "POST", "/webhooks/plaid", body, headers, timeout=timeout)

    def kill9(self):
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self, seconds=20):
        """SIGTERM, then SIGKILL after `seconds`; returns the exit status (None if never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return log.read().splitlines()[-lines:]
        except OSError:
            return []
