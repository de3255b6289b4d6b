#!/usr/bin/env python3
"""Senders beyond the three, against a gate configured with the contract's
hookgate.sources.example.yaml, on SQLite and (when the test cluster is up) PostgreSQL.

    python3 Tests/Suites/senders.py --binary .build/debug/hookgate [--store sqlite|postgres|both]

Every webhook is signed here, independently of HookGate: Stripe's with the `stripe`
package, Standard Webhooks' with `standardwebhooks` (and `svix` for the svix-* names),
Ed25519 (v1a) with `cryptography`, GitHub, Shopify and `hmac` with Python's `hmac`.
The example's five providers are used as written; the suite adds three (a second
Stripe account with a rotation, a Standard Webhooks sender with an Ed25519 key, an
hmac sender with sha512/base64 and header ids) and changes only listeners, database,
the handler's URL and the file handler's path.

Checks, on each store:
  a. `serve --check` accepts the configuration and prints no secret;
  b. a genuine webhook of every kind is accepted with the contract's event id;
  c. tampered body, wrong secret, missing or unparseable signature: bad_signature /
     missing_signature, for every kind;
  d. stale and future timestamps (Stripe, Standard Webhooks): stale_token / future_token;
  e. rotation: the second secret of stripe-eu and the HMAC secret beside an Ed25519 key verify;
  f. a sender's retry (same id, fresh signature) is a duplicate, for every kind; no id is
     missing_event_id;
  g. two providers of one kind are kept apart: one event id accepted on both, and a
     secret of one refused on the other;
  h. fan-out: the payments handler receives the Stripe and Standard Webhooks events byte for
     byte with Hookgate-Provider; the file handler has GitHub's push and pull_request;
  i. after a restart every id above is still a duplicate; /stats counts by provider name;
     no secret appears in the log or /stats.

One line per check; the last line is "senders: N passed, M failed"; exit 0 only when all passed.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))

import senders_support as S  # noqa: E402
from console_support import Gate  # noqa: E402


class Run:
    def __init__(self, binary, store, directory):
        self.binary = binary
        self.store = store
        self.directory = directory
        self.sink = S.RecordingSink()
        self.file_path = os.path.join(directory, "github.jsonl")
        self.ids = []  # (path, headers, body): every accepted webhook, re-sent after the restart
        self.database = None
        if store == "postgres":
            from multi_gate_support import Postgres
            self.postgres = Postgres()
            self.database = "hg_senders_" + uuid.uuid4().hex[:8]
            self.postgres.create_database(self.database)
            database_line = f"database: {{url: \"{self.postgres.url_for(self.database)}\"}}"
        else:
            database_line = f"database: {{path: {os.path.join(directory, 'gate.sqlite')}}}"
        self.gate = Gate(
            binary, directory, None, None,
            configure=lambda public, admin: S.configuration(public, admin, database_line, self.sink.url, self.file_path),
            environment=S.SECRETS)
        self.uid = uuid.uuid4().hex[:10]

    def close(self):
        self.gate.stop()
        self.sink.stop()
        if self.database:
            self.postgres.drop_database(self.database)

    def post(self, path, body, headers):
        return S.post(self.gate.public_port, path, body, headers)

    def expect(self, path, body, headers, status, answer):
        got_status, got = self.post(path, body, headers)
        expected = answer if isinstance(answer, dict) else {"error": answer}
        if got_status != status or got != expected:
            raise AssertionError(f"{path}: expected {status} {expected}, got {got_status} {got}")
        if status == 200 and expected.get("status") == "accepted":
            self.ids.append((path, headers, body))

    # The webhooks of each kind, ids unique per run.
    def stripe_body(self, suffix, kind="payment_intent.succeeded"):
        return json.dumps({"id": f"evt_{self.uid}_{suffix}", "object": "event", "type": kind,
                           "data": {"object": {"id": "pi_1", "amount": 1000}}}, separators=(",", ":")).encode()

    def check_config(self):
        import subprocess
        env = dict(os.environ)
        env.update(S.SECRETS)
        result = subprocess.run([self.binary, "serve", "--config", self.gate.config, "--check"], capture_output=True, text=True,
                                env=env, timeout=60)
        if result.returncode != 0 or "configuration is valid (8 providers, 2 handlers)" not in result.stdout:
            raise AssertionError(f"--check: {result.returncode} {result.stdout} {result.stderr}")
        leaked = [name for name, secret in S.SECRETS.items() if secret in result.stdout + result.stderr]
        if leaked:
            raise AssertionError(f"--check printed secrets: {leaked}")
        return "valid, 8 providers, no secret printed"

    def genuine(self):
        u = self.uid
        body = self.stripe_body("1")
        self.expect("/webhooks/stripe", body, S.stripe_headers(body, S.SECRETS["STRIPE_WEBHOOK_SECRET"]), 200,
                    {"status": "accepted", "event_id": f"evt_{u}_1"})
        refund = self.stripe_body("2", "charge.refunded")
        self.expect("/webhooks/stripe", refund, S.stripe_headers(refund, S.SECRETS["STRIPE_WEBHOOK_SECRET"]), 200,
                    {"status": "accepted", "event_id": f"evt_{u}_2"})
        push = json.dumps({"ref": "refs/heads/main", "after": u}).encode()
        self.expect("/webhooks/github", push, S.github_headers(push, S.SECRETS["GITHUB_WEBHOOK_SECRET"], "push", f"{u}-gh-1"), 200,
                    {"status": "accepted", "event_id": f"{u}-gh-1"})
        pull = json.dumps({"action": "opened", "number": 7, "run": u}).encode()
        self.expect("/webhooks/github", pull,
                    S.github_headers(pull, S.SECRETS["GITHUB_WEBHOOK_SECRET"], "pull_request", f"{u}-gh-2"), 200,
                    {"status": "accepted", "event_id": f"{u}-gh-2"})
        order = json.dumps({"id": 820982911946154500, "email": "jon@example.com", "run": u}).encode()
        self.expect("/webhooks/shopify", order,
                    S.shopify_headers(order, S.SECRETS["SHOPIFY_WEBHOOK_SECRET"], "orders/create", f"{u}-sh-1"), 200,
                    {"status": "accepted", "event_id": f"{u}-sh-1"})
        invoice = json.dumps({"type": "invoice.paid", "data": {"id": u}}).encode()
        self.expect("/webhooks/acme", invoice, S.standard_headers(invoice, S.SECRETS["ACME_WEBHOOK_SECRET"], f"msg_{u}_1"), 200,
                    {"status": "accepted", "event_id": f"msg_{u}_1"})
        svix_body = json.dumps({"type": "invoice.created", "data": {"id": u}}).encode()
        self.expect("/webhooks/acme", svix_body, S.svix_headers(svix_body, S.SECRETS["ACME_WEBHOOK_SECRET"], f"msg_{u}_svix"), 200,
                    {"status": "accepted", "event_id": f"msg_{u}_svix"})
        signed = json.dumps({"type": "invoice.paid", "data": {"id": u, "ed": True}}).encode()
        self.expect("/webhooks/acme-ed", signed, S.ed25519_headers(signed, f"msg_{u}_ed"), 200,
                    {"status": "accepted", "event_id": f"msg_{u}_ed"})
        partner = json.dumps({"id": f"p-{u}", "type": "transfer.settled"}).encode()
        self.expect("/webhooks/partner", partner, S.partner_headers(partner, S.SECRETS["PARTNER_WEBHOOK_SECRET"]), 200,
                    {"status": "accepted", "event_id": f"p-{u}"})
        ledger = b"not json at all: " + u.encode()
        self.expect("/webhooks/ledger", ledger, S.ledger_headers(ledger, S.SECRETS["LEDGER_B64_SECRET"], f"{u}-l-1", "entry.posted"),
                    200, {"status": "accepted", "event_id": f"{u}-l-1"})
        return f"{len(self.ids)} accepted over 8 providers"

    def refused(self):
        u = self.uid
        cases = []
        body = self.stripe_body("x")
        good = S.stripe_headers(body, S.SECRETS["STRIPE_WEBHOOK_SECRET"])
        cases += [("/webhooks/stripe", body + b" ", good, "bad_signature"),
                  ("/webhooks/stripe", body, S.stripe_headers(body, "whsec_wrong"), "bad_signature"),
                  ("/webhooks/stripe", body, {}, "missing_signature"),
                  ("/webhooks/stripe", body, {"Stripe-Signature": "t=abc,v1=zz"}, "missing_signature")]
        push = json.dumps({"ref": u}).encode()
        gh = S.github_headers(push, S.SECRETS["GITHUB_WEBHOOK_SECRET"], "push", f"{u}-bad")
        cases += [("/webhooks/github", push + b"\n", gh, "bad_signature"),
                  ("/webhooks/github", push, S.github_headers(push, "other", "push", f"{u}-bad"), "bad_signature"),
                  ("/webhooks/github", push, dict(gh, **{"X-Hub-Signature-256": gh["X-Hub-Signature-256"][7:]}), "missing_signature")]
        order = json.dumps({"id": 1, "run": u}).encode()
        sh = S.shopify_headers(order, S.SECRETS["SHOPIFY_WEBHOOK_SECRET"], "orders/create", f"{u}-bad")
        cases += [("/webhooks/shopify", order.replace(b"1", b"2"), sh, "bad_signature"),
                  ("/webhooks/shopify", order, S.shopify_headers(order, "other", "orders/create", f"{u}-bad"), "bad_signature"),
                  ("/webhooks/shopify", order, {k: v for k, v in sh.items() if k != "X-Shopify-Hmac-Sha256"}, "missing_signature")]
        invoice = json.dumps({"type": "invoice.paid", "id": u}).encode()
        acme = S.standard_headers(invoice, S.SECRETS["ACME_WEBHOOK_SECRET"], f"msg_{u}_bad")
        other_key = "whsec_" + "b3RoZXIta2V5LW90aGVyLWtleQ=="
        cases += [("/webhooks/acme", invoice + b" ", acme, "bad_signature"),
                  ("/webhooks/acme", invoice, S.standard_headers(invoice, other_key, f"msg_{u}_bad"), "bad_signature"),
                  ("/webhooks/acme", invoice, {k: v for k, v in acme.items() if k != "webhook-timestamp"}, "missing_signature"),
                  ("/webhooks/acme-ed", invoice, S.ed25519_headers(invoice + b"x", f"msg_{u}_bad"), "bad_signature")]
        partner = json.dumps({"id": f"p-{u}-bad"}).encode()
        cases += [("/webhooks/partner", partner + b" ", S.partner_headers(partner, S.SECRETS["PARTNER_WEBHOOK_SECRET"]), "bad_signature"),
                  ("/webhooks/partner", partner, {"X-Partner-Signature": "md5=00"}, "missing_signature"),
                  ("/webhooks/ledger", partner, S.ledger_headers(partner, "wrong", f"{u}-l-bad", "x"), "bad_signature")]
        for path, body, headers, code in cases:
            self.expect(path, body, headers, 401, code)
        return f"{len(cases)} refusals with the contract's codes"

    def timestamps(self):
        body = self.stripe_body("t")
        secret = S.SECRETS["STRIPE_WEBHOOK_SECRET"]
        self.expect("/webhooks/stripe", body, S.stripe_headers(body, secret, S.now() - 301), 401, "stale_token")
        self.expect("/webhooks/stripe", body, S.stripe_headers(body, secret, S.now() + 400), 401, "future_token")
        invoice = json.dumps({"type": "invoice.paid", "id": self.uid}).encode()
        acme = S.SECRETS["ACME_WEBHOOK_SECRET"]
        self.expect("/webhooks/acme", invoice, S.standard_headers(invoice, acme, f"msg_{self.uid}_t", S.now() - 600), 401, "stale_token")
        self.expect("/webhooks/acme", invoice, S.standard_headers(invoice, acme, f"msg_{self.uid}_t", S.now() + 600), 401, "future_token")
        self.expect("/webhooks/acme-ed", invoice, S.ed25519_headers(invoice, f"msg_{self.uid}_t", timestamp=S.now() - 600), 401, "stale_token")
        # Inside the window both ways: accepted.
        self.expect("/webhooks/stripe", body, S.stripe_headers(body, secret, S.now() - 250), 200,
                    {"status": "accepted", "event_id": f"evt_{self.uid}_t"})
        return "stale and future refused on stripe, acme and acme-ed; 250 s old accepted"

    def rotation(self):
        body = self.stripe_body("eu")
        for name, answer in (("STRIPE_EU_NEW_SECRET", "accepted"), ("STRIPE_EU_OLD_SECRET", "duplicate")):
            self.expect("/webhooks/stripe-eu", body, S.stripe_headers(body, S.SECRETS[name]), 200,
                        {"status": answer, "event_id": f"evt_{self.uid}_eu"})
        invoice = json.dumps({"type": "invoice.paid", "id": self.uid, "hmac": True}).encode()
        self.expect("/webhooks/acme-ed", invoice, S.standard_headers(invoice, S.SECRETS["ACME_WEBHOOK_SECRET"], f"msg_{self.uid}_mix"), 200,
                    {"status": "accepted", "event_id": f"msg_{self.uid}_mix"})
        return "stripe-eu: new secret accepted, old one a duplicate; acme-ed: HMAC beside Ed25519"

    def duplicates(self):
        count = 0
        for path, headers, body in list(self.ids):
            resigned = self.resign(path, headers, body)
            status, answer = self.post(path, body, resigned)
            if status != 200 or answer.get("status") != "duplicate":
                raise AssertionError(f"{path} retry: {status} {answer}")
            count += 1
        missing = self.stripe_body("nid").replace(b'"id":', b'"idx":')
        self.expect("/webhooks/stripe", missing, S.stripe_headers(missing, S.SECRETS["STRIPE_WEBHOOK_SECRET"]), 400, "missing_event_id")
        push = b'{"ref":"x"}'
        headers = S.github_headers(push, S.SECRETS["GITHUB_WEBHOOK_SECRET"], "push", "x")
        del headers["X-GitHub-Delivery"]
        self.expect("/webhooks/github", push, headers, 400, "missing_event_id")
        return f"{count} retries with fresh signatures answered duplicate; no id: missing_event_id"

    def resign(self, path, headers, body):
        """The same delivery as a sender's retry: same id, a fresh signature and timestamp."""
        name = path.rsplit("/", 1)[1]
        if name == "stripe":
            return S.stripe_headers(body, S.SECRETS["STRIPE_WEBHOOK_SECRET"])
        if name == "stripe-eu":
            return S.stripe_headers(body, S.SECRETS["STRIPE_EU_NEW_SECRET"])
        if name == "acme":
            msg_id = headers.get("webhook-id") or headers.get("svix-id")
            return S.standard_headers(body, S.SECRETS["ACME_WEBHOOK_SECRET"], msg_id, S.now() - 5)
        if name == "acme-ed":
            if "v1a," in headers["webhook-signature"]:
                return S.ed25519_headers(body, headers["webhook-id"], timestamp=S.now() - 5)
            return S.standard_headers(body, S.SECRETS["ACME_WEBHOOK_SECRET"], headers["webhook-id"], S.now() - 5)
        return headers  # GitHub, Shopify, hmac: the signature covers only the body, a retry is identical

    def apart(self):
        body = self.stripe_body("both")
        self.expect("/webhooks/stripe", body, S.stripe_headers(body, S.SECRETS["STRIPE_WEBHOOK_SECRET"]), 200,
                    {"status": "accepted", "event_id": f"evt_{self.uid}_both"})
        self.expect("/webhooks/stripe-eu", body, S.stripe_headers(body, S.SECRETS["STRIPE_EU_OLD_SECRET"]), 200,
                    {"status": "accepted", "event_id": f"evt_{self.uid}_both"})
        self.expect("/webhooks/stripe-eu", body, S.stripe_headers(body, S.SECRETS["STRIPE_WEBHOOK_SECRET"]), 401, "bad_signature")
        return "one id accepted on stripe and stripe-eu; stripe's secret refused on stripe-eu"

    def fan_out(self):
        deadline = time.monotonic() + 30
        # payments matches stripe:payment_intent.* and acme:invoice.paid: not charge.refunded, not
        # acme's invoice.created (svix), not acme-ed's invoice.paid (another provider of the kind).
        wanted_payments = {f"evt_{self.uid}_1", f"msg_{self.uid}_1"}
        unwanted = {f"evt_{self.uid}_2", f"msg_{self.uid}_svix", f"msg_{self.uid}_ed"}
        while time.monotonic() < deadline:
            received = self.sink.recorded()
            got = {headers.get("Hookgate-Event-Id") for headers, _ in received}
            lines = open(self.file_path).read().splitlines() if os.path.exists(self.file_path) else []
            events = [json.loads(line) for line in lines]
            github = {(e["provider"], e["type"]) for e in events if e["event_id"].startswith(self.uid)}
            if wanted_payments <= got and {("github", "push"), ("github", "pull_request.opened")} <= github:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"payments got {sorted(x for x in got if x)}; file has {sorted(github)}")
        if unwanted & got:
            raise AssertionError(f"payments received events its patterns do not match: {sorted(unwanted & got)}")
        sent = {body for _, _, body in self.ids}
        for headers, body in self.sink.recorded():
            if headers.get("Hookgate-Event-Id") in wanted_payments:
                if body not in sent:
                    raise AssertionError(f"{headers.get('Hookgate-Event-Id')}: body changed on the way")
                provider = headers.get("Hookgate-Provider")
                if provider not in ("stripe", "acme"):
                    raise AssertionError(f"Hookgate-Provider {provider}")
        types = sorted({headers.get("Hookgate-Event-Type") for headers, _ in self.sink.recorded()})
        return f"payments handler: {len(self.sink.recorded())} requests, types {types}; github.jsonl: push and pull_request.opened"

    def restart(self):
        self.gate.stop()
        self.gate.start()
        for path, headers, body in list(self.ids):
            status, answer = self.post(path, body, self.resign(path, headers, body))
            if status != 200 or answer.get("status") != "duplicate":
                raise AssertionError(f"after restart {path}: {status} {answer}")
        stats = self.gate.stats()
        providers = stats["providers"]
        expected = {"stripe", "github", "shopify", "acme", "partner", "stripe-eu", "acme-ed", "ledger"}
        if set(providers) != expected:
            raise AssertionError(f"/stats providers {sorted(providers)}")
        text = json.dumps(stats) + self.gate.log_text()
        leaked = [name for name, secret in S.SECRETS.items() if secret in text]
        if leaked:
            raise AssertionError(f"secrets in the log or /stats: {leaked}")
        return f"{len(self.ids)} ids still duplicates after a restart; /stats by provider name; no secret in log or /stats"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/debug/hookgate")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    passed = failed = 0
    for store in stores:
        directory = tempfile.mkdtemp(prefix=f"hookgate-senders-{store}-")
        try:
            run = Run(args.binary, store, directory)
        except Exception as error:  # the cluster missing is a failure, never a silent pass
            print(f"FAIL [{store}] setup: {error}", flush=True)
            failed += 1
            continue
        try:
            checks = [("a. serve --check", run.check_config)]
            run.gate.start()
            checks += [("b. genuine webhooks of every kind", run.genuine), ("c. forged and altered refused", run.refused),
                       ("d. stale and future timestamps", run.timestamps), ("e. secret rotation", run.rotation),
                       ("f. retries are duplicates; no id", run.duplicates), ("g. two providers of one kind apart", run.apart),
                       ("h. fan-out to the example's handlers", run.fan_out), ("i. restart: dedup holds; stats; no secrets", run.restart)]
            for name, function in checks:
                started = time.time()
                try:
                    detail = function()
                    passed += 1
                    print(f"ok   [{store}] {name}: {detail} ({time.time() - started:.1f} s)", flush=True)
                except Exception as error:
                    failed += 1
                    print(f"FAIL [{store}] {name}: {error}", flush=True)
                    traceback.print_exc()
                    print("\n".join(run.gate.log_tail(15)))
        finally:
            run.close()
            if not args.keep:
                shutil.rmtree(directory, ignore_errors=True)
    print(f"senders: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
