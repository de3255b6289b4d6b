"""Helpers of Tests/Suites/senders.py: webhooks signed by each sender's own library or by
Python's hmac and the cryptography package (independently of HookGate's signers), a
handler that records what it receives, and the gate configured from the contract's
hookgate.sources.example.yaml."""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import time

import standardwebhooks
import stripe
import svix.webhooks
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from console_support import Sink

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE = os.path.join(ROOT, "..", "shared", "contract", "hookgate.sources.example.yaml")

# The secrets, as each sender shows them. Two of each for the rotations.
SECRETS = {
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "s" * 32,
    "GITHUB_WEBHOOK_SECRET": "github-secret-" + "g" * 20,
    "SHOPIFY_WEBHOOK_SECRET": "shpss_" + "h" * 32,
    "ACME_WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"acme-key-" + b"a" * 23).decode(),
    "PARTNER_WEBHOOK_SECRET": "partner-" + "p" * 24,
    "STRIPE_EU_OLD_SECRET": "whsec_" + "o" * 32,
    "STRIPE_EU_NEW_SECRET": "whsec_" + "n" * 32,
    "LEDGER_B64_SECRET": "ledger-" + "l" * 25,
}
ED25519_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"senders suite ed25519").digest())
ED25519_PUBLIC = "whpk_" + base64.b64encode(
    ED25519_KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()

# Providers added to the example: a second Stripe account with a rotation, a Standard
# Webhooks sender signing with Ed25519 (and HMAC), an hmac sender with sha512/base64 and
# header ids. The example's own five stay exactly as written.
EXTRA_PROVIDERS = f"""  stripe-eu:
    kind: stripe
    path: /webhooks/stripe-eu
    secrets: ["${{STRIPE_EU_OLD_SECRET}}", "${{STRIPE_EU_NEW_SECRET}}"]
  acme-ed:
    kind: standard-webhooks
    path: /webhooks/acme-ed
    secrets: ["{ED25519_PUBLIC}", "${{ACME_WEBHOOK_SECRET}}"]
    max_age: 300
  ledger:
    kind: hmac
    header: X-Ledger-Signature
    algorithm: sha512
    encoding: base64
    secrets: ["${{LEDGER_B64_SECRET}}"]
    event_id: {{header: X-Ledger-Delivery}}
    event_type: {{header: X-Ledger-Event}}
"""


def configuration(public_port, admin_port, database_line, sink_url, file_path):
    """The contract's example with only the listeners, database, handler URL and file path changed, plus EXTRA_PROVIDERS."""
    text = open(EXAMPLE).read()
    for original, replacement in (
            ("server: {host: 127.0.0.1, port: 8080}", f"server: {{host: 127.0.0.1, port: {public_port}}}"),
            ("admin: {host: 127.0.0.1, port: 9091}", f"admin: {{host: 127.0.0.1, port: {admin_port}}}"),
            ("database: {path: hookgate.sqlite}", database_line),
            ("http://127.0.0.1:9000/payments", sink_url),
            ("file: {path: github.jsonl}", f"file: {{path: {file_path}}}")):
        if text.count(original) != 1:
            raise RuntimeError(f"the example changed: {original!r} is not in it exactly once")
        text = text.replace(original, replacement)
    return re.sub(r"\nhandlers:\n", "\n" + EXTRA_PROVIDERS + "\nhandlers:\n", text, count=1)


def now():
    return int(time.time())


def stripe_headers(body, secret, timestamp=None):
    """Stripe-Signature from the stripe package (t=…,v1=…)."""
    timestamp = now() if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", secret)
    header = f"t={timestamp},v1={signature}"
    # The package's own verifier accepts what is sent (a check of this helper).
    stripe.WebhookSignature.verify_header(body.decode(), header, secret, tolerance=None)
    return {"Stripe-Signature": header}


def github_headers(body, secret, event, delivery):
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": "sha256=" + digest, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}


def shopify_headers(body, secret, topic, event_id):
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Topic": topic, "X-Shopify-Event-Id": event_id,
            "X-Shopify-Webhook-Id": "wh-" + event_id}


def standard_headers(body, secret, msg_id, timestamp=None):
    """webhook-* headers from the standardwebhooks package (v1, HMAC-SHA256)."""
    moment = datetime.datetime.fromtimestamp(now() if timestamp is None else timestamp, tz=datetime.timezone.utc)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, moment, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())), "webhook-signature": signature}


def svix_headers(body, secret, msg_id):
    """svix-* headers from the svix package: the same scheme under Svix's names."""
    moment = datetime.datetime.now(tz=datetime.timezone.utc)
    signature = svix.webhooks.Webhook(secret).sign(msg_id, moment, body.decode())
    return {"svix-id": msg_id, "svix-timestamp": str(int(moment.timestamp())), "svix-signature": signature}


def ed25519_headers(body, msg_id, key=ED25519_KEY, timestamp=None):
    """webhook-* headers with a v1a Ed25519 signature from the cryptography package."""
    timestamp = now() if timestamp is None else timestamp
    signature = key.sign(f"{msg_id}.{timestamp}.".encode() + body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": "v1a," + base64.b64encode(signature).decode()}


def partner_headers(body, secret):
    return {"X-Partner-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def ledger_headers(body, secret, delivery, event):
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha512).digest()).decode()
    return {"X-Ledger-Signature": digest, "X-Ledger-Delivery": delivery, "X-Ledger-Event": event}


def post(port, path, body, headers):
    """POSTs a webhook; returns (status, parsed answer or text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Content-Type": "application/json"}
        sent.update(headers)
        connection.request("POST", path, body=body, headers=sent)
        answer = connection.getresponse()
        text = answer.read().decode("utf-8", "replace")
        try:
            return answer.status, json.loads(text)
        except ValueError:
            return answer.status, text
    finally:
        connection.close()


class RecordingSink(Sink):
    """The payments handler: answers 200 and keeps every request (headers, body)."""

    def __init__(self):
        super().__init__(status=200, path="/payments")

    def recorded(self):
        with self.lock:
            return list(self.requests)
