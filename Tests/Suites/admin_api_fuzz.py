#!/usr/bin/env python3
"""Fuzzes the admin API with schemathesis against its own OpenAPI document.

Starts `hookgate serve` (the binary given) with an admin token, replays the fixtures
so the store has events and deliveries (delivered, retrying and dead), then runs
schemathesis twice against Sources/HookGateServer/Resources/openapi.json: with the
token (every operation, positive and negative inputs) and without it (every answer
must be the documented 401). Checks: no 5xx, status codes, content types, headers
and bodies as documented. Both runs are bounded in time; the gate must still answer
afterwards. Loopback only. Exit 0 when everything held; last line
"admin_api_fuzz: N passed, M failed".

    python3 Tests/Suites/admin_api_fuzz.py --binary .build/debug/hookgate
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC = os.path.join(ROOT, "Sources", "HookGateServer", "Resources", "openapi.json")
TOKEN = "fuzz-admin-token-" + os.urandom(8).hex()
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "hookgate"))
    parser.add_argument("--seconds", type=int, default=90, help="time budget of the authenticated run")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    schemathesis = shutil.which("schemathesis") or shutil.which("st")
    if schemathesis is None:
        print("schemathesis is not installed (python3 -m pip install schemathesis)")
        return 1
    work = tempfile.mkdtemp(prefix="hookgate-fuzz-")
    public, admin, dead = free_port(), free_port(), free_port()
    config = os.path.join(work, "gate.yaml")
    with open(config, "w") as f:
        f.write(f"""
server:
  host: 127.0.0.1
  port: {public}
admin:
  host: 127.0.0.1
  port: {admin}
  token: {TOKEN}
database:
  path: {work}/gate.sqlite
providers:
  plaid:
    keys_file: {ROOT}/Keys/dev.jwks.json
  linkmoney:
    keys_file: {ROOT}/Keys/dev.jwks.json
  ledgersync:
    verification: jwt
    keys_file: {ROOT}/Keys/dev.jwks.json
delivery:
  initial_backoff: 0.05
  max_backoff: 0.1
  give_up_after: 0.3
handlers:
  - name: audit
    match: ["*"]
    file:
      path: {work}/audit.jsonl
  - name: gone
    match: ["plaid:ITEM.*", "ledgersync:*"]
    http:
      url: http://127.0.0.1:{dead}/hooks
      timeout: 1
""")
    log = open(os.path.join(work, "gate.log"), "w")
    gate = subprocess.Popen([binary, "serve", "--config", config], stdout=log, stderr=log)
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")

    try:
        check("gate starts", wait_healthy(admin))
        folders = [os.path.join(ROOT, "Fixtures", name) for name in ("plaid", "linkmoney", "ledgersync")]  # the providers it serves
        replay = subprocess.run([binary, "replay", *folders, "--to", f"http://127.0.0.1:{public}"],
                                capture_output=True, text=True, timeout=120)
        check("fixtures replayed", replay.returncode == 0, replay.stdout.strip().splitlines()[-1] if replay.stdout else replay.stderr)
        time.sleep(1.5)  # let the dead handler's deliveries die, so every state is present
        base = [schemathesis, "run", SPEC, "--url", f"http://127.0.0.1:{admin}", "--checks", CHECKS,
                "--request-timeout", "10", "--seed", str(int(time.time()) % 100000), "--warnings", "off"]
        authed = subprocess.run(base + ["-H", f"Authorization: Bearer {TOKEN}", "--max-time", str(args.seconds), "--max-examples", "60"],
                                capture_output=True, text=True, timeout=args.seconds + 120)
        tail = "\n".join(authed.stdout.strip().splitlines()[-25:])
        check("schemathesis with the token: no 5xx, every answer as documented", authed.returncode == 0, "" if authed.returncode == 0 else "\n" + tail + authed.stderr[-2000:])
        if authed.returncode == 0:
            print("\n".join(authed.stdout.strip().splitlines()[-6:]))
        anonymous = subprocess.run(base + ["--max-time", "30", "--max-examples", "10", "--mode", "positive"],
                                   capture_output=True, text=True, timeout=180)
        check("schemathesis without a token: documented 401s", anonymous.returncode == 0,
              "" if anonymous.returncode == 0 else "\n" + "\n".join(anonymous.stdout.strip().splitlines()[-25:]))
        check("gate still alive after fuzzing", gate.poll() is None and wait_healthy(admin, 5))
    finally:
        gate.terminate()
        try:
            gate.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gate.kill()
        log.close()
    if all(results):
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"gate log and database kept in {work}")
    passed = sum(results)
    print(f"admin_api_fuzz: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
