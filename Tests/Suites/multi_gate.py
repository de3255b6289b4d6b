#!/usr/bin/env python3
"""Three gates on one PostgreSQL database: dedup, order, takeover and outage across gates.

    python3 Tests/Suites/multi_gate.py --binary .build/debug/hookgate [--keep] [--verbose]

Needs the test cluster of Tests/postgres-cluster.sh (Tests/run.sh starts it): the
variables HOOKGATE_TEST_DATABASE_URL, HOOKGATE_TEST_PGCTL, HOOKGATE_TEST_PGDATA and
HOOKGATE_TEST_PGUSER. Without them the suite fails (exit 1); it never passes silently.

Creates its own database (hg_multi_<random>, dropped at the end) and starts three
`hookgate serve` on loopback against it (`database.url`, `durability: full`,
`delivery.lease: 2`), each with one HTTP handler (`order_key: item_id`,
concurrency 4) pointing at one local recorder, and Plaid verified against the
development key (webhooks signed here with `cryptography`, independently of HookGate).

Checks (contract: "PostgreSQL, and more than one gate"):
  a. three gates started at the same moment on the fresh database all become ready;
  b. 10 copies of one event (same body and token) sent at once over the 3 gates:
     exactly one `accepted`, nine `duplicate`, delivered exactly once;
  c. 30 events sharing one order key, sent one after another round-robin over the
     gates: the handler first sees them in exactly that order, one at a time;
  d. gate 1 killed with SIGKILL while it has deliveries in flight (slow handler):
     every accepted event reaches the handler through the others after the lease;
  e. PostgreSQL stopped: intake answers 503 store_unavailable with Retry-After and
     /readyz 503 naming the store; started again: every gate accepts and is ready
     within 30 s and the new events are delivered;
  f. every event acknowledged during the run reached the handler (nothing lost);
  g. every gate still running stops on SIGTERM with exit status 0.

One line per check ("ok  " or "FAIL", name, detail with timings); the last line is
"multi_gate: N passed, M failed". Exit status 0 only when every check passed.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from console_support import ROOT, free_port, sign  # noqa: E402
from multi_gate_support import (  # noqa: E402
    ClusterError, GateProcess, Postgres, Recorder, event_id, local_tcp_ports, plaid_body, postgres_database_lines)

TOKEN = "multi-gate-admin-token-" + os.urandom(8).hex()
RUN = os.urandom(4).hex()
LEASE = 2               # delivery.lease, seconds
HANDLER_CONCURRENCY = 4
READY_SECONDS = 60      # a debug build migrating a fresh database, three at once, on 2 cores
ORDERED_EVENTS = 30
KILL_EVENTS = 40
SLOW_HANDLER = 1.5      # seconds the handler takes in check d


class Checks:
    def __init__(self, verbose):
        self.verbose = verbose
        self.passed = 0
        self.failed = 0

    def report(self, name, ok, detail, seconds=None):
        timing = f" ({seconds:.1f} s)" if seconds is not None else ""
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}{timing}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def run(self, name, function, gates=()):
        """Runs a check: it returns its detail, or raises AssertionError (or anything) with it."""
        started = time.time()
        try:
            detail = function()
            return self.report(name, True, detail, time.time() - started)
        except Exception as error:  # noqa: BLE001 - every failure is reported, the suite goes on
            detail = str(error) if isinstance(error, AssertionError) else f"{type(error).__name__}: {error}"
            self.report(name, False, detail, time.time() - started)
            if self.verbose:
                traceback.print_exc()
            for gate in gates:
                for line in gate.log_tail(8):
                    print(f"    {gate.name}: {line}")
            return False


def wait_for(predicate, seconds, interval=0.05):
    deadline = time.monotonic() + seconds
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


class Run:
    """What the checks share: the gates, the recorder, every acknowledged event."""

    def __init__(self, postgres, gates, recorder):
        self.postgres = postgres
        self.gates = gates
        self.recorder = recorder
        self.acknowledged = {}  # event id -> "check/gate" that answered accepted
        self.lock = threading.Lock()

    def acknowledge(self, body, answer, where):
        if answer.status == 200 and answer.document.get("status") == "accepted":
            with self.lock:
                self.acknowledged[event_id(body)] = where
            return True
        return False

    def live_gates(self):
        return [gate for gate in self.gates if gate.alive()]


# ---------------------------------------------------------------------------- checks

def simultaneous_start(run):
    barrier = threading.Barrier(len(run.gates))

    def launch(gate):
        barrier.wait(10)
        gate.launch()

    threads = [threading.Thread(target=launch, args=(gate,)) for gate in run.gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    spread = max(g.launched_at for g in run.gates) - min(g.launched_at for g in run.gates)
    ready, problems = {}, []
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and len(ready) + len(problems) < len(run.gates):
        for gate in run.gates:
            if gate.name in ready or any(p.startswith(gate.name) for p in problems):
                continue
            if not gate.alive():
                problems.append(f"{gate.name} exited with {gate.process.returncode}: {' | '.join(gate.log_tail(4))}")
            elif gate.readyz(timeout=2).status == 200:
                ready[gate.name] = time.time() - gate.launched_at
        time.sleep(0.1)
    for gate in run.gates:
        if gate.name not in ready and not any(p.startswith(gate.name) for p in problems):
            problems.append(f"{gate.name} not ready within {READY_SECONDS} s (last /readyz: {gate.readyz(timeout=2)!r})")
    if problems:
        raise AssertionError("; ".join(problems))
    times = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(ready.items()))
    return f"launched within {spread * 1000:.0f} ms of each other; ready after {times}"


def concurrent_duplicates(run, copies=10):
    body = plaid_body(RUN, "b", f"dup-{RUN}", 0)
    token = sign(body)  # one token: the copies are byte-identical requests
    expected = event_id(body)
    barrier = threading.Barrier(copies)
    answers = [None] * copies

    def send(index):
        gate = run.gates[index % len(run.gates)]
        try:
            barrier.wait(15)
        except threading.BrokenBarrierError:
            pass
        answers[index] = (gate.name, gate.post(body, token=token, timeout=20))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    answered = time.time() - started
    outcomes = [answer.outcome if answer else "no answer" for _, answer in filter(None, answers)]
    accepted = [name for name, answer in filter(None, answers) if run.acknowledge(body, answer, f"b/{name}")]
    duplicates = outcomes.count("duplicate")
    wrong_ids = [answer.document.get("event_id") for _, answer in filter(None, answers)
                 if answer.status == 200 and answer.document.get("event_id") != expected]
    summary = f"{len(accepted)} accepted ({', '.join(accepted) or 'none'}), {duplicates} duplicate"
    others = [o for o in outcomes if o not in ("accepted", "duplicate")]
    if len(accepted) != 1 or duplicates != copies - 1 or others or wrong_ids or None in answers:
        raise AssertionError(f"{summary}; other answers {others}; wrong event ids {wrong_ids}")
    arrived = wait_for(lambda: run.recorder.arrivals(expected), 15)
    if not arrived:
        raise AssertionError(f"{summary} in {answered:.2f} s, but the handler never received it within 15 s")
    first = arrived[0]["arrived"] - started
    # A second delivery would come from another gate's dispatcher or a lease running out: give it that long.
    time.sleep(max(0.0, arrived[0]["arrived"] + LEASE + 1.5 - time.time()))
    count = len(run.recorder.arrivals(expected))
    if count != 1:
        raise AssertionError(f"{summary}, but the handler received it {count} times")
    return f"{summary} in {answered:.2f} s; delivered once, {first:.2f} s after the sends"


def order_across_gates(run):
    item = f"order-{RUN}"
    run.recorder.jitter = 0.03  # the handler takes 0-30 ms: the gates compete for the next delivery
    try:
        ids, sequence_of = [], {}
        started = time.time()
        for seq in range(ORDERED_EVENTS):
            gate = run.gates[seq % len(run.gates)]
            body = plaid_body(RUN, "c", item, seq)
            answer = gate.post(body)
            if not run.acknowledge(body, answer, f"c/{gate.name}"):
                raise AssertionError(f"event {seq} to {gate.name} answered {answer!r}")
            ids.append(event_id(body))
            sequence_of[event_id(body)] = seq
        sent = time.time() - started
        everything = wait_for(lambda: set(ids) <= {r["event_id"] for r in run.recorder.snapshot()}, 30)
        records = [r for r in run.recorder.snapshot() if r["event_id"] in sequence_of]
        delivered = time.time() - started
    finally:
        run.recorder.jitter = 0.0
    firsts = {}
    for record in records:
        firsts.setdefault(record["event_id"], record)
    order = [sequence_of[r["event_id"]] for r in sorted(firsts.values(), key=lambda r: r["index"])]
    repeats = len(records) - len(firsts)
    if not everything:
        raise AssertionError(f"only {len(firsts)}/{ORDERED_EVENTS} delivered within 30 s; first-seen order so far {order}")
    if order != list(range(ORDERED_EVENTS)):
        raise AssertionError(f"first-seen order {order} (expected 0..{ORDERED_EVENTS - 1}); {repeats} repeats")
    # One at a time: a delivery of the key starts only after the previous one was answered.
    chain = sorted(records, key=lambda r: r["index"])
    overlaps = [(a["seq"], b["seq"]) for a, b in zip(chain, chain[1:])
                if a["responding"] is not None and b["arrived"] < a["responding"]]
    if overlaps and not repeats:
        raise AssertionError(f"in order, but deliveries of one order key overlapped: {overlaps[:5]}")
    return (f"{ORDERED_EVENTS} events sent round-robin in {sent:.2f} s, all delivered in order {delivered:.2f} s after the first send, "
            f"{repeats} repeats, {len(overlaps)} overlaps")


def takeover_after_kill(run):
    victim = run.gates[0]
    run.recorder.delay = SLOW_HANDLER
    try:
        ids = []
        started = time.time()
        for index in range(KILL_EVENTS):
            gate = run.gates[index % len(run.gates)]
            body = plaid_body(RUN, "d", f"kill-{RUN}-{index}", index)
            answer = gate.post(body)
            if not run.acknowledge(body, answer, f"d/{gate.name}"):
                raise AssertionError(f"event {index} to {gate.name} answered {answer!r}")
            ids.append(event_id(body))
        posted = time.time() - started

        def victim_in_flight():
            ports = local_tcp_ports(victim.process.pid)
            held = [r for r in run.recorder.in_flight() if r["peer_port"] in ports]
            return (ports, held) if held else None

        found = wait_for(victim_in_flight, 15, 0.02)
        if not found:
            raise AssertionError(f"{victim.name} never had a delivery in flight within 15 s of the {KILL_EVENTS} posts, "
                                 f"so the takeover was not exercised (handler in flight: {len(run.recorder.in_flight())})")
        ports, _ = found
        victim.kill9()
        killed = time.time()
        in_flight_overall = len([r for r in run.recorder.snapshot() if r["arrived"] <= killed and r["responding"] is None])
        # Cut off: the victim's attempts not answered before it died. The gate never saw a 2xx: they must come again.
        cut = {r["event_id"] for r in run.recorder.snapshot()
               if r["peer_port"] in ports and r["arrived"] <= killed and (r["responding"] is None or r["responding"] >= killed)}

        def complete(record):
            """Answered 200, and not one of the victim's attempts it died during."""
            if record["responding"] is None or record["failed"]:
                return False
            return not (record["peer_port"] in ports and record["arrived"] <= killed and record["responding"] >= killed)

        def all_delivered():
            done = {r["event_id"] for r in run.recorder.snapshot() if complete(r)}
            return set(ids) <= done

        delivered = wait_for(all_delivered, 60, 0.1)
        finished = time.time() - killed
    finally:
        run.recorder.delay = 0.0
    records = [r for r in run.recorder.snapshot() if r["event_id"] in set(ids)]
    counts = {}
    for record in records:
        counts[record["event_id"]] = counts.get(record["event_id"], 0) + 1
    redelivered = sorted(event for event, count in counts.items() if count > 1)
    retaken = [min(r["arrived"] for r in records if r["event_id"] == event and r["arrived"] > killed) - killed
               for event in cut if any(r["event_id"] == event and r["arrived"] > killed for r in records)]
    missing = [event for event in ids if not any(complete(r) for r in records if r["event_id"] == event)]
    detail = (f"{KILL_EVENTS} accepted in {posted:.2f} s; {victim.name} SIGKILLed {killed - started:.1f} s after the first post "
              f"with {len(cut)} of its deliveries in flight ({in_flight_overall} in flight overall); "
              f"{len(retaken)}/{len(cut)} of those taken over"
              f"{f' after {min(retaken):.1f}-{max(retaken):.1f} s' if retaken else ''}; "
              f"{len(redelivered)} events delivered more than once ({len(records) - len(counts)} repeats in all)")
    if not delivered or missing:
        raise AssertionError(f"{detail}; {len(missing)} accepted events never delivered within 60 s of the kill")
    return f"{detail}; all {KILL_EVENTS} delivered {finished:.1f} s after the kill"


def store_outage(run):
    victim = run.gates[0]
    notes = []
    if not victim.alive():
        victim.launch()
        notes.append(f"{victim.name} restarted after the kill, ready in {victim.wait_ready(READY_SECONDS):.1f} s")
    # Deliveries waiting when the store goes away (the handler slowed down): they must survive it.
    run.recorder.delay = 0.5
    try:
        before = []
        for index in range(6):
            gate = run.gates[index % len(run.gates)]
            body = plaid_body(RUN, "e-before", f"outage-{RUN}-{index}", index)
            answer = gate.post(body)
            if not run.acknowledge(body, answer, f"e/{gate.name}"):
                raise AssertionError(f"event {index} before the stop, to {gate.name}, answered {answer!r}")
            before.append(event_id(body))
        started = time.time()
        run.postgres.stop_server()
        notes.append(f"PostgreSQL stopped in {time.time() - started:.1f} s")
    finally:
        run.recorder.delay = 0.0

    problems = []
    refused = []
    for gate in run.gates:
        body = plaid_body(RUN, "e-during", f"down-{RUN}-{gate.name}", 0)
        asked = time.time()
        answer = gate.post(body, timeout=30)
        took = time.time() - asked
        retry_after = answer.header("Retry-After")
        if answer.status == 200:
            run.acknowledge(body, answer, f"e-during/{gate.name}")  # then it must be delivered too
        if answer.status == 503 and answer.document.get("error") == "store_unavailable" and retry_after and retry_after.strip().isdigit():
            refused.append(f"{gate.name} in {took:.2f} s (Retry-After {retry_after})")
        else:
            problems.append(f"POST to {gate.name} with PostgreSQL down: {answer!r} (Retry-After {retry_after!r}) after {took:.2f} s")
    notes.append("503 store_unavailable from " + ", ".join(refused) if refused else "no 503 store_unavailable")
    unready, reasons_seen = [], []
    deadline = time.monotonic() + 15  # for all gates together
    for gate in run.gates:
        answer = wait_for(lambda g=gate: (lambda a: a if a.status == 503 else None)(g.readyz(timeout=5)),
                          max(0.0, deadline - time.monotonic()), 0.2)
        reasons = " ".join(str(r) for r in answer.document.get("reasons", [])) if answer else ""
        if not answer:
            problems.append(f"{gate.name} /readyz did not turn 503 within 15 s ({gate.readyz()!r})")
        elif run.postgres.password and run.postgres.password in answer.text:
            problems.append(f"{gate.name} /readyz shows the database password: {answer.text[:200]}")
        elif not any(word in reasons.lower() for word in ("store", "database", "postgres")):
            problems.append(f"{gate.name} /readyz 503 but its reasons do not name the store: {answer.text[:200]}")
        else:
            unready.append(gate.name)
            reasons_seen.append(reasons)
    if unready:
        notes.append(f"/readyz 503 on {', '.join(unready)} ({reasons_seen[0][:100]!r})")

    started = time.time()
    run.postgres.start_server()
    notes.append(f"PostgreSQL started in {time.time() - started:.1f} s")
    back = time.time()
    deadline = back + 30
    after = []
    accepted_after = []
    for gate in run.gates:
        attempt = 0
        last = None
        while time.monotonic() < deadline:
            attempt += 1
            body = plaid_body(RUN, "e-after", f"back-{RUN}-{gate.name}", attempt)  # a new event each try
            last = gate.post(body, timeout=10)
            if run.acknowledge(body, last, f"e-after/{gate.name}"):
                after.append(event_id(body))
                accepted_after.append(f"{gate.name} {time.time() - back:.1f} s")
                break
            time.sleep(0.2)
        else:
            problems.append(f"{gate.name} accepted nothing within 30 s of the restart (last: {last!r})")
    notes.append("accepting again: " + ", ".join(accepted_after))
    ready_after = []
    for gate in run.gates:
        if wait_for(lambda g=gate: g.readyz(timeout=5).status == 200, max(0.0, deadline - time.monotonic()), 0.2):
            ready_after.append(f"{gate.name} {time.time() - back:.1f} s")
        else:
            problems.append(f"{gate.name} /readyz not 200 within 30 s of the restart ({gate.readyz()!r})")
    notes.append("ready again: " + ", ".join(ready_after))
    if after:
        delivered = wait_for(lambda: set(after) <= run.recorder.delivered_ids(), 30, 0.1)
        if delivered:
            notes.append(f"the {len(after)} new events delivered {time.time() - back:.1f} s after the restart")
        else:
            problems.append(f"{len(set(after) - run.recorder.delivered_ids())}/{len(after)} events accepted after the restart not delivered within 30 s")
    waiting = wait_for(lambda: set(before) <= run.recorder.delivered_ids(), 20, 0.1)
    if waiting:
        notes.append(f"the {len(before)} events accepted just before the stop all delivered")
    else:
        problems.append(f"{len(set(before) - run.recorder.delivered_ids())}/{len(before)} events accepted just before the stop not delivered")
    if problems:
        raise AssertionError("; ".join(problems) + " | " + "; ".join(notes))
    return "; ".join(notes)


def nothing_lost(run):
    acknowledged = set(run.acknowledged)
    wait_for(lambda: acknowledged <= run.recorder.delivered_ids(), 30, 0.1)
    missing = acknowledged - run.recorder.delivered_ids()
    records = run.recorder.snapshot()
    received = {r["event_id"] for r in records}
    strangers = received - acknowledged
    # A POST answered 503 may still have committed (the answer's deadline passed first): the
    # sender would retry and get `duplicate`. Such events may be delivered; they are only counted.
    detail = (f"{len(acknowledged)} events acknowledged over the run, {len(acknowledged) - len(missing)} delivered; "
              f"{len(records)} deliveries received in all ({len(records) - len(received)} repeats, "
              f"{len(strangers)} of events answered other than accepted)")
    if missing:
        examples = ", ".join(f"{event[:20]}… ({run.acknowledged[event]})" for event in sorted(missing)[:5])
        raise AssertionError(f"{detail}; never delivered: {examples}")
    return detail


def events_command(run, binary, url):
    """`hookgate events list/show --database-url` read what the gates stored."""
    listing = subprocess.run([binary, "events", "list", "--database-url", url, "--limit", "100000", "--json"],
                             capture_output=True, text=True, timeout=60)
    if listing.returncode != 0:
        raise AssertionError(f"events list exited {listing.returncode}: {listing.stderr[-400:]}")
    listed = json.loads(listing.stdout)["events"]
    ids = {item["event_id"] for item in listed}
    missing = set(run.acknowledged) - ids
    if missing:
        raise AssertionError(f"events list misses {len(missing)} acknowledged events, e.g. {sorted(missing)[:2]}")
    some = sorted(run.acknowledged)[0]
    shown = subprocess.run([binary, "events", "show", some, "--database-url", url, "--json"], capture_output=True, text=True, timeout=60)
    if shown.returncode != 0:
        raise AssertionError(f"events show exited {shown.returncode}: {shown.stderr[-400:]}")
    document = json.loads(shown.stdout)
    if document.get("event_id") != some or not document.get("deliveries"):
        raise AssertionError(f"events show {some}: {shown.stdout[:300]}")
    return f"events list: {len(listed)} events (all {len(run.acknowledged)} acknowledged among them); events show: {some[:16]}… with its deliveries"


def graceful_stop(run):
    statuses, problems = [], []
    for gate in run.live_gates():
        started = time.time()
        code = gate.stop()
        statuses.append(f"{gate.name} {code} in {time.time() - started:.1f} s")
        if code != 0:
            problems.append(f"{gate.name} exited {code}: {' | '.join(gate.log_tail(3))}")
    if not statuses:
        raise AssertionError("no gate was running")
    if problems:
        raise AssertionError("; ".join(problems))
    return "exit status " + ", ".join(statuses)


# ---------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "hookgate"))
    parser.add_argument("--keep", action="store_true", help="keep the gates' folders and the database")
    parser.add_argument("--verbose", action="store_true", help="print tracebacks of failures")
    args = parser.parse_args()
    checks = Checks(args.verbose)
    started = time.time()
    try:
        postgres = Postgres()
    except ClusterError as error:
        checks.report("setup", False, str(error))
        postgres = None
    binary = os.path.abspath(args.binary)
    if postgres is not None and not os.access(binary, os.X_OK):
        checks.report("setup", False, f"no executable at {binary}: swift build first")
    elif postgres is not None:
        suite(args, checks, postgres, binary)
    print(f"multi_gate took {time.time() - started:.0f} s")
    print(f"multi_gate: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


def suite(args, checks, postgres, binary):
    """Creates the database, runs the checks, and always stops the gates and drops the database."""
    database = f"hg_multi_{RUN}"
    try:
        postgres.create_database(database)
    except Exception as error:  # noqa: BLE001 - psql missing, cluster down: all reported the same way
        checks.report("setup", False, f"cannot create database {database} on {postgres.host}:{postgres.port}: {error}")
        return
    work = tempfile.mkdtemp(prefix="hookgate-multi-")
    recorder = Recorder()
    gates = []
    try:
        ports = set()
        while len(ports) < 6:
            ports.add(free_port())
        ports = sorted(ports)
        database_lines = postgres_database_lines(postgres.url_for(database))
        gates = [GateProcess(binary, work, f"gate{n + 1}", database_lines, recorder.url, TOKEN, lease=LEASE,
                             concurrency=HANDLER_CONCURRENCY, ports=(ports[2 * n], ports[2 * n + 1])) for n in range(3)]
        code, output = gates[0].check_config()
        if code != 0:
            checks.report("setup", False, f"`hookgate serve --check` refuses {gates[0].config}: {output[-800:]}")
            return
        print(f"database {database} on {postgres.host}:{postgres.port}; gates' folders under {work}; handler {recorder.url}", flush=True)
        run = Run(postgres, gates, recorder)
        if not checks.run("a. three gates started at once on a fresh database all become ready", lambda: simultaneous_start(run), gates):
            checks.report("b-g", False, "not run: the gates did not all start")
            return
        checks.run("b. 10 concurrent copies of one event over 3 gates: accepted once, delivered once",
                   lambda: concurrent_duplicates(run), gates)
        checks.run(f"c. {ORDERED_EVENTS} events of one order key, round-robin over the gates: delivered in order",
                   lambda: order_across_gates(run), gates)
        checks.run("d. kill -9 of a gate with deliveries in flight: the others take them over after the lease",
                   lambda: takeover_after_kill(run), gates)
        checks.run("e. PostgreSQL stopped: 503 store_unavailable and /readyz 503; restarted: accepted, ready, delivered",
                   lambda: store_outage(run), gates)
        checks.run("f. every acknowledged event reached the handler", lambda: nothing_lost(run), gates)
        checks.run("g. hookgate events list/show --database-url read the shared database",
                   lambda: events_command(run, binary, postgres.url_for(database)), gates)
        checks.run("h. every running gate stops on SIGTERM with exit status 0", lambda: graceful_stop(run), gates)
    finally:
        for gate in gates:
            gate.stop()
        recorder.stop()
        if args.keep:
            print(f"kept: the gates' folders and logs in {work}, the database {database}")
        else:
            try:
                if not postgres.is_up():
                    postgres.start_server()
                postgres.drop_database(database)
            except Exception as error:  # noqa: BLE001
                print(f"could not drop the database {database}: {error}")
            if checks.failed:
                print(f"the gates' folders and logs are kept in {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
