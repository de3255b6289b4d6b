#!/usr/bin/env python3
"""Nothing lost to a misconfiguration (issue #26): a gate misconfigured three ways refuses a
batch of genuine webhooks, keeps them in its quarantine, and after the fix a bulk recovery
stores and delivers every one exactly once; then a flood of forged requests against a small
quarantine bound. On SQLite and (when the test cluster is up) PostgreSQL.

    python3 Tests/Suites/quarantine.py --binary .build/debug/hookgate [--store sqlite|postgres|both] [--flood 100000]

The three mistakes: Plaid's key_url points at a "sandbox" key endpoint that knows no key
(unknown_key); Stripe's secret is an old one after a rotation (bad_signature); the Standard
Webhooks sender's clock is 10 minutes behind (stale_token). Webhooks are signed here with
the senders' own libraries (stripe, standardwebhooks) and `cryptography` (ES256).

Checks, on each store:
  a. every genuine webhook is refused with the mistake's code, and every one is kept;
     /stats warns about each provider;
  b. after the fix (a restart on the same database), bulk recovery stores every genuine one
     (Standard Webhooks only with ignore_age) and the forged ones stay refused;
  c. the handler receives every recovered event exactly once, byte for byte;
  d. recovering them again finds duplicates; each event keeps its original receipt time and
     says it was recovered;
  e. the flood: FLOOD forged requests (wrk) with quarantine.max_bytes 1 MiB while genuine
     webhooks are sent: the kept bytes stay within the bound, nothing forged is stored, and
     the genuine rate keeps >= 90 % of the rate under the same flood with the quarantine off
     (eight floods, off, on, on, off twice, each once the deliveries before it have drained;
     the rates of each setting are averaged).

One line per check; the last line is "quarantine: N passed, M failed"; exit 0 only when all passed.
"""

import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))

import senders_support as S  # noqa: E402
from console_support import DEV_JWKS, Gate, free_port, sign  # noqa: E402

CURRENT = "whsec_" + "Y3VycmVudC1zdHJpcGUtc2VjcmV0LTIwMjY"
OLD = "whsec_" + "b2xkLXN0cmlwZS1zZWNyZXQtMjAyNQ"
FORGER = "whsec_" + "bm90LXRoZS1zZWNyZXQ"
ACME = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BATCH = 20


class KeyEndpoint:
    """Plaid's key endpoint: POST {"key_id"} answers the development key, or, as a sandbox
    that does not know it, INVALID_WEBHOOK_VERIFICATION_KEY_ID."""

    def __init__(self, knows_key):
        keys = {key["kid"]: key for key in json.load(open(DEV_JWKS))["keys"]}
        self.port = free_port()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server API
                asked = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                key = keys.get(asked.get("key_id")) if knows_key else None
                if key:
                    status, body = 200, json.dumps({"key": key, "request_id": "k1"}).encode()
                else:
                    status, body = 400, b'{"error_code":"INVALID_WEBHOOK_VERIFICATION_KEY_ID","error_type":"INVALID_INPUT"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/webhook_verification_key/get"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def configuration(public, admin, database_line, key_url, stripe_secret, sink_url, quarantine=""):
    return f"""server: {{host: 127.0.0.1, port: {public}}}
admin: {{host: 127.0.0.1, port: {admin}}}
{database_line}
{quarantine}
providers:
  plaid:
    path: /webhooks/plaid
    key_url: {key_url}
    client_id: test
    secret: test
  stripe:
    kind: stripe
    path: /webhooks/stripe
    secrets: ["{stripe_secret}"]
  acme:
    kind: standard-webhooks
    path: /webhooks/acme
    secrets: ["{ACME}"]
    max_age: 300
handlers:
  - name: ledger
    match: ["*"]
    http: {{url: "{sink_url}", timeout: 10}}
"""


def admin_request(gate, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{gate.admin_port}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def rejected_all(gate):
    found, before = [], None
    while True:
        status, page = admin_request(gate, "GET", "/rejected?limit=1000" + (f"&before={before}" if before else ""))
        found += page["rejected"]
        before = page.get("next_before")
        if not before:
            return found


def wait_rejected(gate, count, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = rejected_all(gate)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    return rejected_all(gate)


class Run:
    def __init__(self, binary, store, directory, flood):
        self.binary, self.store, self.directory, self.flood = binary, store, directory, flood
        self.sink = S.RecordingSink()
        self.sandbox, self.production = KeyEndpoint(False), KeyEndpoint(True)
        self.database = None
        if store == "postgres":
            from multi_gate_support import Postgres
            self.postgres = Postgres()
            self.database = "hg_quarantine_" + uuid.uuid4().hex[:8]
            self.postgres.create_database(self.database)
            self.database_line = f"database: {{url: \"{self.postgres.url_for(self.database)}\"}}"
        else:
            self.database_line = f"database: {{path: {os.path.join(directory, 'gate.sqlite')}}}"
        self.gate = Gate(binary, directory, None, None, configure=lambda public, admin: configuration(
            public, admin, self.database_line, self.sandbox.url, OLD, self.sink.url))
        self.uid = uuid.uuid4().hex[:8]
        self.genuine = []  # (path, body, expected event id)

    def close(self):
        self.gate.stop()
        for server in (self.sink, self.sandbox, self.production):
            server.stop()
        if self.database:
            self.postgres.drop_database(self.database)

    def send_batch(self):
        refusals = {}
        for n in range(BATCH):
            plaid = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "DEFAULT_UPDATE", "item_id": f"{self.uid}-{n}"},
                               indent=2).encode()
            stripe = json.dumps({"id": f"evt_{self.uid}_{n}", "object": "event", "type": "payment_intent.succeeded"}).encode()
            acme = json.dumps({"type": "invoice.paid", "data": {"id": f"{self.uid}-{n}", "note": "<b>&amp;</b>"}}).encode()
            sent = [
                ("/webhooks/plaid", plaid, {"Plaid-Verification": sign(plaid)}, "sha256:" + S.hashlib.sha256(plaid).hexdigest()),
                ("/webhooks/stripe", stripe, S.stripe_headers(stripe, CURRENT), f"evt_{self.uid}_{n}"),
                ("/webhooks/acme", acme, S.standard_headers(acme, ACME, f"msg_{self.uid}_{n}", timestamp=S.now() - 600),
                 f"msg_{self.uid}_{n}"),
            ]
            for path, body, headers, event_id in sent:
                status, answer = S.post(self.gate.public_port, path, body, headers)
                refusals[(path, status, answer.get("error") if isinstance(answer, dict) else answer)] = \
                    refusals.get((path, status, answer.get("error") if isinstance(answer, dict) else answer), 0) + 1
                self.genuine.append((path, body, event_id))
        forged = 0
        for n in range(10):
            body = json.dumps({"id": f"evt_forged_{self.uid}_{n}", "type": "payout.paid"}).encode()
            status, _ = S.post(self.gate.public_port, "/webhooks/stripe", body, S.stripe_headers(body, FORGER))
            forged += status == 401
        return refusals, forged

    def misconfigured(self):
        self.gate.start()
        refusals, forged = self.send_batch()
        expected = {("/webhooks/plaid", 401, "unknown_key"): BATCH, ("/webhooks/stripe", 401, "bad_signature"): BATCH,
                    ("/webhooks/acme", 401, "stale_token"): BATCH}
        if refusals != expected or forged != 10:
            raise AssertionError(f"refusals {refusals}, forged refused {forged}")
        kept = wait_rejected(self.gate, 3 * BATCH + 10)
        if len(kept) != 3 * BATCH + 10:
            raise AssertionError(f"{len(kept)} kept of {3 * BATCH + 10}")
        warnings = admin_request(self.gate, "GET", "/stats")[1].get("warnings", [])
        for provider in ("acme", "plaid", "stripe"):
            if not any(w.startswith(f"{provider}: 100 % refused in the last hour") for w in warnings):
                raise AssertionError(f"no warning for {provider}: {warnings}")
        return f"3 x {BATCH} genuine refused (unknown_key, bad_signature, stale_token) + 10 forged; all {len(kept)} kept; warnings: {warnings[0]!r} ..."

    def fixed(self):
        self.gate.stop()
        with open(self.gate.config, "w") as config:
            config.write(configuration(self.gate.public_port, self.gate.admin_port, self.database_line, self.production.url, CURRENT,
                                       self.sink.url))
        self.gate.start()
        tallies = {}
        for provider in ("plaid", "stripe", "acme"):
            tallies[provider] = admin_request(self.gate, "POST", "/rejected/recover", {"provider": provider, "via": "cli"})[1]
        stale_first = tallies["acme"]
        # The command an operator runs: `hookgate rejected recover --provider acme --since 1h --ignore-age`.
        command = subprocess.run([self.binary, "rejected", "recover", "--admin", f"http://127.0.0.1:{self.gate.admin_port}",
                                  "--provider", "acme", "--since", "1h", "--ignore-age"], capture_output=True, text=True, timeout=120)
        if command.returncode != 0 or f"examined {BATCH}: {BATCH} accepted" not in command.stdout:
            raise AssertionError(f"hookgate rejected recover: exit {command.returncode}: {command.stdout} {command.stderr}")
        recovered = [item for item in rejected_all(self.gate) if item["provider"] == "acme" and item.get("recovery")]
        tallies["acme"] = {"accepted": sum(item["recovery"]["outcome"] == "accepted" and item["recovery"]["via"] == "cli"
                                           for item in recovered), "refused": {}}
        if stale_first["accepted"] != 0 or stale_first["refused"] != {"stale_token": BATCH}:
            raise AssertionError(f"acme without ignore_age: {stale_first}")
        for provider in ("plaid", "acme"):
            if tallies[provider]["accepted"] != BATCH or tallies[provider]["refused"]:
                raise AssertionError(f"{provider}: {tallies[provider]}")
        if tallies["stripe"]["accepted"] != BATCH or tallies["stripe"]["refused"] != {"bad_signature": 10}:
            raise AssertionError(f"stripe: {tallies['stripe']}")
        return (f"recovered {sum(t['accepted'] for t in tallies.values())}; acme only with --ignore-age (hookgate rejected recover: "
                f"{command.stdout.strip().splitlines()[-1]!r}); forged still bad_signature: {tallies['stripe']['refused']}")

    def delivered_once(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(self.sink.recorded()) < 3 * BATCH:
            time.sleep(0.2)
        time.sleep(1)
        bodies = [body for _, body in self.sink.recorded()]
        expected = sorted(body for _, body, _ in self.genuine)
        if sorted(bodies) != expected:
            raise AssertionError(f"the handler got {len(bodies)} bodies, {len(set(bodies))} distinct; expected {len(expected)} byte-exact")
        return f"{len(bodies)} deliveries, each genuine body once, byte-exact"

    def duplicates_and_marks(self):
        duplicates = 0
        for item in rejected_all(self.gate):
            if item.get("recovery"):
                status, answer = admin_request(self.gate, "POST", f"/rejected/{item['id']}/recover", {"ignore_age": True})
                duplicates += status == 200 and answer.get("status") == "duplicate"
        if duplicates != 3 * BATCH:
            raise AssertionError(f"{duplicates} duplicates on the second recovery, expected {3 * BATCH}")
        kept = {item["id"]: item for item in rejected_all(self.gate)}
        for path, body, event_id in self.genuine:
            provider = path.rsplit("/", 1)[1]
            status, event = admin_request(self.gate, "GET", f"/events/{urllib.parse.quote(event_id, safe=':')}?provider={provider}")
            mark = event.get("recovered") or {}
            original = kept.get(mark.get("rejected_id"), {})
            if status != 200 or original.get("received_at") != event.get("received_at"):
                raise AssertionError(f"{event_id}: {status} {mark} received_at {event.get('received_at')} vs {original.get('received_at')}")
        events = admin_request(self.gate, "GET", "/events?limit=1000")[1]["events"]
        if len(events) != 3 * BATCH:
            raise AssertionError(f"{len(events)} events stored, expected {3 * BATCH}")
        return f"second recovery: {duplicates} duplicates; {len(events)} events, each with its original received_at and its recovery"

    def wrk(self, script, path, connections, extra=()):
        return subprocess.Popen(["wrk", "-t1", f"-c{connections}", "-d600s", "-s", script, f"http://127.0.0.1:{self.gate.public_port}{path}",
                                 *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    @staticmethod
    def answered(output):
        """(requests, non-2xx, seconds) from wrk's summary."""
        requests = seconds = 0.0
        non2xx = 0
        for line in output.splitlines():
            words = line.split()
            if "requests in" in line:
                requests = int(words[0])
                elapsed = words[3].rstrip(",")
                seconds = float(elapsed[:-2]) / 1000 if elapsed.endswith("ms") else float(elapsed[:-1]) * (60 if elapsed.endswith("m") else 1)
            if line.strip().startswith("Non-2xx"):
                non2xx = int(words[-1])
        return requests, non2xx, seconds

    def flood_run(self, enabled):
        """FLOOD forged Stripe requests (wrk, 12 connections) beside genuine Plaid webhooks (wrk, 4
        connections cycling through 4,000 signed ones: accepted, then duplicates), with the
        quarantine on or off. Returns (genuine answered 200 per second, forged refused, seconds, /stats)."""
        self.gate.stop()
        quarantine = f"quarantine: {{enabled: {str(enabled).lower()}, max_bytes: 1048576}}"
        with open(self.gate.config, "w") as config:
            config.write(configuration(self.gate.public_port, self.gate.admin_port, self.database_line, self.production.url, CURRENT,
                                       self.sink.url, quarantine))
        self.gate.start()
        # Every flood starts from the same state: the genuine webhooks a flood accepted are
        # delivered to the sink afterwards, and that backlog would otherwise load the next
        # flood (always an "on" one after the first "off": a bias, not noise).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            deliveries = admin_request(self.gate, "GET", "/stats")[1]["deliveries"]
            if deliveries["pending"] + deliveries["retrying"] + deliveries["in_flight"] == 0:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the deliveries of the previous floods did not drain in 300 s: {deliveries}")
        body = json.dumps({"id": "evt_flood", "object": "event", "type": "payout.paid", "pad": "x" * 200})
        forged = os.path.join(self.directory, "forged.lua")
        with open(forged, "w") as lua:
            lua.write(f"""
wrk.method = "POST"
wrk.body = {json.dumps(body)}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Stripe-Signature"] = "{S.stripe_headers(body.encode(), FORGER)['Stripe-Signature']}"
""")
        signed = os.path.join(self.directory, f"genuine-{enabled}.tsv")
        with open(signed, "w") as lines:
            for n in range(4000):
                plaid = json.dumps({"webhook_type": "ITEM", "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
                                    "item_id": f"flood-{enabled}-{self.uid}-{n}"}).encode()
                lines.write(sign(plaid) + "\t" + plaid.decode() + "\n")
        genuine = os.path.join(self.directory, "genuine.lua")
        with open(genuine, "w") as lua:
            lua.write("""
local requests = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    local token, body = line:match("^(%S+)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", nil, {["Plaid-Verification"] = token, ["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
""")

        def refused():
            return admin_request(self.gate, "GET", "/stats")[1]["providers"]["stripe"]["rejected"].get("bad_signature", 0)

        before = refused()
        started = time.monotonic()
        # wrk stops on a duration only: both are interrupted (SIGINT prints the summary) once the gate refused FLOOD.
        flood = self.wrk(forged, "/webhooks/stripe", 12)
        honest = self.wrk(genuine, "/webhooks/plaid", 4, ("--", signed))
        while refused() - before < self.flood and flood.poll() is None and time.monotonic() - started < 480:
            time.sleep(0.25)
        for process in (honest, flood):
            process.send_signal(subprocess.signal.SIGINT)
        honest_output = honest.communicate(timeout=30)[0]
        flood.communicate(timeout=30)
        seconds = time.monotonic() - started
        requests, non2xx, elapsed = self.answered(honest_output)
        time.sleep(1.5)
        if not elapsed or non2xx:
            raise AssertionError(f"the genuine load failed: {honest_output}")
        return (requests - non2xx) / elapsed, refused() - before, seconds, admin_request(self.gate, "GET", "/stats")[1]

    def flood_bound(self):
        # Off, on, on, off, twice: the machine's drift over the eight runs cancels out of the
        # ratio, and four runs a side average out more of its noise than two did (the ratio
        # of two-a-side runs moved between 0.89 and 0.95 from one run to the next).
        runs = {False: [], True: []}
        for enabled in (False, True, True, False) * 2:
            runs[enabled].append(self.flood_run(enabled))
        stats = runs[True][-1][3]
        quarantine = stats["quarantine"]
        forged_stored = [e for e in admin_request(self.gate, "GET", "/events?provider=stripe&limit=1000")[1]["events"]
                         if e["event_id"] == "evt_flood"]
        on_rate = sum(run[0] for run in runs[True]) / len(runs[True])
        off_rate = sum(run[0] for run in runs[False]) / len(runs[False])
        ratio = on_rate / off_rate if off_rate else 0
        detail = (f"8 floods (off, on, on, off, twice) of {min(run[1] for run in runs[True] + runs[False])}+ forged each, "
                  f"{', '.join(f'{run[2]:.1f}' for run in runs[True])} s on, {', '.join(f'{run[2]:.1f}' for run in runs[False])} s off; "
                  f"kept {quarantine['requests']} requests, {quarantine['bytes']} of {quarantine['max_bytes']} bytes, "
                  f"dropped {quarantine['dropped']}; genuine {' + '.join(f'{run[0]:.0f}' for run in runs[True])}/s on vs "
                  f"{' + '.join(f'{run[0]:.0f}' for run in runs[False])}/s off ({ratio:.2f})")
        if any(run[1] < self.flood for run in runs[True] + runs[False]):
            raise AssertionError(f"a flood did not reach {self.flood}: {detail}")
        if quarantine["bytes"] > quarantine["max_bytes"] or forged_stored:
            raise AssertionError(f"bound or store broken: {detail}")
        if ratio < 0.9:
            raise AssertionError(f"genuine intake fell below 90 %: {detail}")
        return detail


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/hookgate")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--flood", type=int, default=100_000)
    args = parser.parse_args()
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    if "postgres" in stores and not os.environ.get("HOOKGATE_TEST_DATABASE_URL"):
        if args.store == "both":
            print("  (PostgreSQL: HOOKGATE_TEST_DATABASE_URL not set; bash Tests/run.sh starts the test cluster)")
            stores = ["sqlite"]
    passed = failed = 0
    for store in stores:
        directory = tempfile.mkdtemp(prefix=f"hookgate-quarantine-{store}-")
        run = None
        try:
            run = Run(args.binary, store, directory, args.flood)
            for name, check in (("a. misconfigured: refused and kept", run.misconfigured),
                                ("b. fixed: bulk recovery", run.fixed),
                                ("c. delivered exactly once, byte-exact", run.delivered_once),
                                ("d. duplicates on a second recovery; receipt time and mark kept", run.duplicates_and_marks),
                                (f"e. a flood of {args.flood} forged requests", run.flood_bound)):
                started = time.monotonic()
                try:
                    detail = check()
                    passed += 1
                    print(f"  ok    [{store}] {name}: {detail} ({time.monotonic() - started:.1f} s)")
                except Exception as error:  # noqa: BLE001 - every failure is reported, the rest still runs
                    failed += 1
                    print(f"  FAIL  [{store}] {name}: {error}")
                    traceback.print_exc(limit=3)
        except Exception as error:  # noqa: BLE001
            failed += 1
            print(f"  FAIL  [{store}] setup: {error}")
            traceback.print_exc(limit=3)
        finally:
            if run:
                if failed:
                    print(run.gate.log_text()[-3000:])
                run.close()
            shutil.rmtree(directory, ignore_errors=True)
    print(f"quarantine: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
