"""Helpers of Tests/Suites/console_browser.py: a gate process, a handler that fails on
demand, and webhooks signed with the development key (independently of HookGate's signer)."""

import base64
import hashlib
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEV_KEY = serialization.load_pem_private_key(open(os.path.join(ROOT, "Keys", "dev-private.pem"), "rb").read(), None)
DEV_JWKS = os.path.join(ROOT, "Keys", "dev.jwks.json")
KID = "hookgate-dev-1"
HEADERS = {"plaid": "Plaid-Verification", "linkmoney": "Webhook-Verification", "ledgersync": "Webhook-Verification"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(body: bytes, kid: str = KID, iat=None) -> str:
    """An ES256 compact JWS over {iat, request_body_sha256}, the signature raw R||S; `iat`
    (Unix seconds) defaults to now."""
    header = b64url(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": int(time.time()) if iat is None else iat, "request_body_sha256": hashlib.sha256(body).hexdigest()}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    r, s = utils.decode_dss_signature(DEV_KEY.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{payload}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def forge(body: bytes) -> str:
    """A token for `body` whose header and claims are genuine but whose signature is the
    development key's signature of another message: refused with `bad_signature`, and
    still refused when verified again."""
    header, claims, _ = sign(body).split(".")
    return f"{header}.{claims}.{sign(b'another body').split('.')[2]}"


def post_to(port, target, body, headers):
    """POSTs `body` to `target` (path and query, sent as given) with exactly `headers`;
    returns (status, answer text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def post_webhook(port, provider, body, headers, kid=KID):
    """POSTs a signed webhook; returns (status, answer text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Content-Type": "application/json", HEADERS[provider]: sign(body, kid)}
        sent.update(headers)
        connection.request("POST", f"/webhooks/{provider}", body=body, headers=sent)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def markup_webhooks():
    """(provider, body, headers) of webhooks whose type, id, body and Content-Type carry markup."""
    content_type = {"Content-Type": "application/json; note=<img src=x onerror=window.__pwned=7>"}
    plaid = {
        "webhook_type": '<img src=x onerror="window.__pwned=1">',
        "webhook_code": "<script>window.__pwned=2</script>",
        "item_id": "<b>item</b><img src=x onerror=window.__pwned=3>",
        "error": {"error_message": "</pre><script>window.__pwned=4</script>"},
        "environment": "sandbox",
    }
    ledgersync = {
        "eventId": "<img src=x onerror=window.__pwned=5>",
        "eventType": "<script>window.__pwned=6</script>",
        "data": {"note": "</pre><script>window.__pwned=4</script>", "html": "<iframe src=javascript:window.__pwned=8>"},
    }
    return [
        ("plaid", json.dumps(plaid, indent=2).encode(), content_type),
        ("ledgersync", json.dumps(ledgersync, indent=2).encode(), content_type),
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """A handler on loopback answering `status` (settable) to every POST; it keeps every
    request's headers and body in `requests`."""

    def __init__(self, status=500, path="/hooks"):
        sink = self
        self.status = status
        self.received = 0
        self.requests = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the gate's connection pool expects

            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink.lock:
                    sink.requests.append((dict(self.headers), body))
                sink.received += 1
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # The gate opens many connections at once; the default backlog of 5 drops some of them.
            request_queue_size = 256
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Gate:
    """`hookgate serve` on free loopback ports, a temporary database, one HTTP handler."""

    def __init__(self, binary, directory, handler_url, token, configure=None, environment=None, command=None, ready_seconds=30):
        """`configure(public_port, admin_port)`, when given, returns the configuration to run instead
        of the console's own; `environment` adds variables the configuration names;
        `command(public_port, admin_port)`, when given, is the whole command line to run
        instead (no configuration file is written)."""
        self.binary = os.path.abspath(binary)
        self.directory = directory
        self.token = token
        self.extra_environment = environment or {}
        self.ready_seconds = ready_seconds
        self.public_port = free_port()
        self.admin_port = free_port()
        self.process = None
        self.log_path = os.path.join(directory, "gate.log")
        token_line = "  token: ${HOOKGATE_CONSOLE_TEST_TOKEN}\n" if token else ""
        self.config = os.path.join(directory, "hookgate.yaml")
        self.argv = [self.binary, "serve", "--config", self.config, "--log-level", "info"]
        if command is not None:
            self.argv = command(self.public_port, self.admin_port)
            return
        if configure is not None:
            with open(self.config, "w") as config:
                config.write(configure(self.public_port, self.admin_port))
            return
        with open(self.config, "w") as config:
            config.write(f"""server:
  host: 127.0.0.1
  port: {self.public_port}
admin:
  host: 127.0.0.1
  port: {self.admin_port}
{token_line}database:
  path: {os.path.join(directory, "hookgate.sqlite")}
  durability: normal
providers:
  plaid:
    path: /webhooks/plaid
    keys_file: {DEV_JWKS}
  linkmoney:
    path: /webhooks/linkmoney
    keys_file: {DEV_JWKS}
  ledgersync:
    path: /webhooks/ledgersync
    verification: jwt
    keys_file: {DEV_JWKS}
delivery:
  initial_backoff: 0.05
  max_backoff: 0.1
  give_up_after: 0.5
handlers:
  - name: backend
    match: ["*"]
    http:
      url: {handler_url}
      timeout: 5
""")

    def environment(self):
        environment = dict(os.environ)
        environment.update(self.extra_environment)
        if self.token:
            environment["HOOKGATE_CONSOLE_TEST_TOKEN"] = self.token
        return environment

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.environment(), cwd=self.directory)
        deadline = time.time() + self.ready_seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the gate exited with {self.process.returncode}: {self.log_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the gate did not become ready within {self.ready_seconds} s")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def stats(self):
        request = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}/stats")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    def admin(self, method, path, body=None):
        """Calls the admin API; returns (status, decoded JSON answer)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def wait_rejected(self, predicate, what, seconds=20, query=""):
        """Polls `GET /rejected` (the quarantine is written asynchronously) until one listed
        request satisfies `predicate`; returns it."""
        deadline = time.monotonic() + seconds
        listed = []
        while time.monotonic() < deadline:
            status, answer = self.admin("GET", "/rejected" + query)
            assert status == 200, f"GET /rejected answered {status} {answer}"
            listed = answer["rejected"]
            for request in listed:
                if predicate(request):
                    return request
            time.sleep(0.1)
        raise AssertionError(f"timed out after {seconds} s waiting for {what} in the quarantine; listed {listed[:5]}")

    def wait_stats(self, predicate, what, seconds):
        deadline = time.time() + seconds
        last = None
        while time.time() < deadline:
            last = self.stats()
            if predicate(last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"timed out after {seconds} s waiting for {what}; deliveries {last and last['deliveries']}")

    def replay(self, *paths):
        """Replays folders of bodies with `hookgate replay`; returns how many were accepted."""
        result = subprocess.run(
            [self.binary, "replay", *paths, "--to", f"http://127.0.0.1:{self.public_port}"],
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"replay failed ({result.returncode}): {result.stdout} {result.stderr}")
        for line in result.stdout.splitlines():
            words = line.split()
            if words[:1] == ["total"]:
                return int(words[-1])
        raise RuntimeError(f"no total in the replay's output: {result.stdout}")

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return log.read()
        except OSError:
            return ""

    def log_tail(self, lines=20):
        return self.log_text().splitlines()[-lines:]
