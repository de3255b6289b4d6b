#!/usr/bin/env python3
"""The operator console in a real browser: headless Chromium driven by Selenium.

    python3 Tests/Suites/console_browser.py --binary .build/debug/hookgate [--screenshots docs]

Starts `hookgate serve` on free loopback ports with a temporary database, an admin
token, and one HTTP handler pointing at a local server that answers 500 (so every
delivery goes dead within a second) until the suite switches it to 200. Replays the
fixtures, posts webhooks whose type, id, body and a header carry markup, then signs
in, reads the overview, the events and one event, redelivers dead deliveries, and
checks that no sender's markup ever runs and that the token never reaches a URL, a
cookie or the gate's log. Then it posts refused webhooks (forged signatures, one of
them carrying markup in its path, headers and body, and one too old) and checks the
Rejected view: the list, its filters and pages, one request's detail with its masked
headers, recovery of one (409 for a forged one; accepted then duplicate for the old one
with "ignore age") and of a whole filter, and the overview's warning banner. A second gate without a token checks that the console
skips the sign-in. Needs Debian's `chromium` and `chromium-driver` and PyPI's
`selenium` and `cryptography` (Tests/run.sh installs them).

Every wait is bounded; the gates and servers are always stopped. Exit status 0 when
every check passed; the last line is "console: N passed, M failed".
"""

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from console_support import HEADERS, ROOT, Gate, Sink, forge, markup_webhooks, post_to, post_webhook, sign  # noqa: E402
from browser_support import Suite, make_driver, pwned, visible, wait_until  # noqa: E402

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

TOKEN = "console-test-token-" + os.urandom(12).hex()


def run(args):
    suite = Suite(args)
    directory = tempfile.mkdtemp(prefix="hookgate-console-")
    sink = Sink()
    gate = Gate(args.binary, directory, sink.url, token=None if args.no_token else TOKEN)
    open_gate = None
    driver = None
    try:
        gate.start()
        base = f"http://127.0.0.1:{gate.admin_port}"
        # The JWT providers' fixtures: the gate of this suite serves plaid, linkmoney and ledgersync.
        fixtures = gate.replay(*(os.path.join(ROOT, "Fixtures", name) for name in ("plaid", "linkmoney", "ledgersync")))
        markup = markup_webhooks()
        for provider, body, headers in markup:
            status, answer = post_webhook(gate.public_port, provider, body, headers)
            assert status == 200, f"markup webhook answered {status} {answer}"
        status, _ = post_webhook(gate.public_port, "plaid", b'{"webhook_type":"ITEM","webhook_code":"ERROR"}', {}, kid="nobody")
        assert status == 401, f"a webhook signed with an unknown kid answered {status}"
        total = fixtures + len(markup)
        gate.wait_stats(lambda s: s["deliveries"]["dead"] == total, f"all {total} deliveries dead", seconds=60)
        sink.status = 200
        driver = make_driver()
        context = {"base": base, "total": total}

        if args.no_token:
            suite.check("without admin.token the console skips the sign-in", lambda: no_token(driver, gate))
        else:
            suite.check("sign-in form, wrong token refused, right token accepted", lambda: sign_in(suite, driver, base))
        suite.check("overview shows live figures and charts", lambda: overview(suite, driver, context))
        suite.check("events list shows the replayed fixtures, filters and pages", lambda: events(suite, driver, context))
        suite.check("one event: body pretty and raw, headers, claims, attempts", lambda: one_event(suite, driver, context))
        suite.check("a sender's markup is shown as text and never runs", lambda: markup_is_text(suite, driver, context))
        suite.check("a body with trailing commas opens pretty-printed as the gate parses it", lambda: tolerant_body(suite, driver, context))
        suite.check("redeliver one dead delivery after confirming: it turns delivered", lambda: redeliver_one(suite, driver, context))
        suite.check("redeliver all of a handler's dead deliveries", lambda: redeliver_all(suite, driver, context, gate))
        suite.check("rejected: a refused webhook is listed; markup in path, headers and body is text",
                    lambda: rejected_markup(suite, driver, context, gate))
        suite.check("rejected: filters by reason and provider, pages with next_before", lambda: rejected_filters(suite, driver, context, gate))
        suite.check("rejected: recovering a forged webhook answers 409 bad_signature", lambda: recover_forged(suite, driver, context, gate))
        suite.check("rejected: a stale webhook recovers with ignore age, then is a duplicate", lambda: recover_stale(suite, driver, context, gate))
        suite.check("warnings banner after refusals; recover all of a filter shows the tally",
                    lambda: warnings_and_bulk(suite, driver, context, gate))
        if args.screenshots:
            suite.check("screenshots of the overview under traffic and of an event", lambda: screenshots(suite, driver, context, gate))
        if not args.no_token:
            suite.check("a refused token returns to the sign-in form; sign out", lambda: refused_token(suite, driver, base))
            suite.check("the token never appears in a URL, a cookie or the gate's log", lambda: token_stays_secret(suite, driver, gate))
            open_gate = Gate(args.binary, tempfile.mkdtemp(prefix="hookgate-console-open-"), sink.url, token=None)
            open_gate.start()
            suite.check("without admin.token the console skips the sign-in", lambda: no_token(driver, open_gate))
    except Exception as error:  # noqa: BLE001
        suite.failed += 1
        print(f"FAIL  setup: {type(error).__name__}: {error}", flush=True)
        if args.verbose:
            traceback.print_exc()
        for line in gate.log_tail():
            print("  gate: " + line)
    finally:
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException:
                pass
        gate.stop()
        if open_gate is not None:
            open_gate.stop()
        sink.stop()
        if not args.keep:
            for gate_directory in [directory] + ([open_gate.directory] if open_gate else []):
                shutil.rmtree(gate_directory, ignore_errors=True)
    return finish(suite)


def finish(suite):
    print(f"console: {suite.passed} passed, {suite.failed} failed", flush=True)
    return 0 if suite.failed == 0 and suite.passed > 0 else 1


def remember(suite, driver):
    suite.urls.append(driver.current_url)


def sign_in(suite, driver, base):
    driver.get(base + "/console")
    remember(suite, driver)
    wait_until(driver, lambda d: visible(d, "view-signin"), "the sign-in form")
    field = driver.find_element(By.CSS_SELECTOR, "#signin-form input[name=token]")
    assert field.get_attribute("type") == "password", "the token field is a password field"
    assert driver.find_element(By.ID, "signin-form").get_attribute("method") == "post"
    field.send_keys("wrong-token-but-long-enough")
    driver.find_element(By.ID, "signin-submit").click()
    wait_until(driver, lambda d: "refused" in d.find_element(By.ID, "signin-error").text, "the refusal of a wrong token")
    assert visible(driver, "view-signin") and not visible(driver, "nav")
    field.clear()
    field.send_keys(TOKEN)
    driver.find_element(By.ID, "signin-submit").click()
    wait_until(driver, lambda d: visible(d, "view-overview") and visible(d, "nav"), "the overview after signing in")
    remember(suite, driver)
    assert driver.find_element(By.ID, "signin-token").get_attribute("value") == "", "the field is cleared"
    assert driver.execute_script("return sessionStorage.getItem('hookgate.console.token')") == TOKEN
    assert driver.execute_script("return document.cookie") == ""
    assert visible(driver, "sign-out")


def provider_row(driver, name):
    for row in driver.find_elements(By.CSS_SELECTOR, "#ov-providers tbody tr"):
        cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        if cells and cells[0] == name:
            return cells
    return None


def overview(suite, driver, context):
    driver.get(context["base"] + "/console#/overview")
    remember(suite, driver)
    wait_until(driver, lambda d: provider_row(d, "plaid") is not None, "the providers table")
    first = driver.find_element(By.ID, "ov-meta").text
    wait_until(driver, lambda d: d.find_element(By.ID, "ov-meta").text != first, "a refresh by itself within 2 s", seconds=8)
    plaid = provider_row(driver, "plaid")
    # 14 fixtures + 1 markup webhook accepted, 1 refused with unknown_key.
    assert plaid[1] == "16" and plaid[2] == "15" and plaid[4] == "1", f"plaid figures {plaid}"
    assert "unknown_key 1" in plaid[5], f"rejections by code: {plaid[5]}"
    assert provider_row(driver, "ledgersync")[2] == "5"
    deliveries = driver.find_element(By.ID, "ov-deliveries").text
    assert "Dead" in deliveries and str(context["total"]) in deliveries, deliveries
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-deliveries polyline"), "the deliveries chart has a line"
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-intake polyline"), "the intake chart has a line", seconds=8)
    assert driver.find_element(By.ID, "gate-version").text.startswith("HookGate ")
    assert not visible(driver, "ov-warnings"), "no warning yet: " + driver.find_element(By.ID, "ov-warnings").text
    quarantine = definitions(driver, "ov-quarantine")
    assert quarantine.get("Enabled") == "yes" and quarantine.get("Dropped") == "none", quarantine


def event_rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#events-table tbody tr")


def events(suite, driver, context):
    driver.find_element(By.ID, "nav-events").click()
    wait_until(driver, lambda d: len(event_rows(d)) == context["total"], f"{context['total']} events listed")
    remember(suite, driver)
    types = {row.find_elements(By.TAG_NAME, "td")[3].text for row in event_rows(driver)}
    for expected in ["ITEM.ERROR", "TRANSACTIONS.DEFAULT_UPDATE", "accountAdded", "mfaUpdated", "AUTH.AUTOMATICALLY_VERIFIED"]:
        assert expected in types, f"{expected} is listed"
    assert all("backend: dead" in row.find_elements(By.TAG_NAME, "td")[5].text for row in event_rows(driver))
    # Filter: LedgerSync only (4 fixtures + 1 markup webhook).
    Select(driver.find_element(By.ID, "filter-provider")).select_by_visible_text("ledgersync")
    driver.find_element(By.ID, "filter-apply").click()
    wait_until(driver, lambda d: len(event_rows(d)) == 5, "5 LedgerSync events")
    assert all(row.find_elements(By.TAG_NAME, "td")[2].text == "ledgersync" for row in event_rows(driver))
    remember(suite, driver)
    # A type pattern across providers.
    driver.find_element(By.ID, "filter-reset").click()
    wait_until(driver, lambda d: len(event_rows(d)) == context["total"], "every event again")
    driver.find_element(By.ID, "filter-type").send_keys("ITEM.*")
    driver.find_element(By.ID, "filter-apply").click()
    wait_until(driver, lambda d: len(event_rows(d)) == 8, "8 ITEM.* events (4 Plaid, 4 LinkMoney)")
    # Pages of 25.
    driver.find_element(By.ID, "filter-reset").click()
    wait_until(driver, lambda d: len(event_rows(d)) == context["total"], "every event again")
    Select(driver.find_element(By.ID, "filter-limit")).select_by_visible_text("25")
    driver.find_element(By.ID, "filter-apply").click()
    wait_until(driver, lambda d: len(event_rows(d)) == 25, "a first page of 25")
    newest = event_rows(driver)[0].get_attribute("data-row")
    driver.find_element(By.ID, "events-older").click()
    wait_until(driver, lambda d: len(event_rows(d)) == context["total"] - 25, "the second page")
    assert driver.find_element(By.ID, "events-older").get_attribute("disabled") is not None
    driver.find_element(By.ID, "events-newer").click()
    wait_until(driver, lambda d: len(event_rows(d)) == 25 and event_rows(d)[0].get_attribute("data-row") == newest, "back on the first page")
    remember(suite, driver)


def open_event(driver, base, event_type, provider):
    driver.get(base + "/console#/events?provider=" + provider + "&event_type=" + urllib.parse.quote(event_type, safe=""))
    # Wait for a row of that type, not for any row: until the filtered list arrives, the table
    # still shows the list the browser showed before (another provider's or type's events).
    # Found and clicked in one script: a row found first and clicked afterwards may have been
    # replaced by a new rendering of the table in between (a stale element reference).
    click = """const row = Array.from(document.querySelectorAll('#events-table tbody tr'))
            .find(tr => tr.cells[2].textContent === arguments[0] && tr.cells[3].textContent === arguments[1]);
        if (!row) return false;
        row.cells[1].click();
        return true;"""
    wait_until(driver, lambda d: d.execute_script(click, provider, event_type), f"a {provider} {event_type} row")
    wait_until(driver, lambda d: visible(d, "view-event") and d.find_element(By.ID, "event-body-pretty").text, "the event's body")


def one_event(suite, driver, context):
    open_event(driver, context["base"], "ITEM.ERROR", "plaid")
    remember(suite, driver)
    raw = open(os.path.join(ROOT, "Fixtures", "plaid", "ITEM.ERROR.json"), encoding="utf-8").read()
    pretty = driver.find_element(By.ID, "event-body-pretty").text
    assert '"webhook_code": "ERROR"' in pretty, pretty[:200]
    driver.find_element(By.ID, "body-tab-raw").click()
    wait_until(driver, lambda d: visible(d, "event-body-raw"), "the raw body")
    shown = driver.execute_script("return document.getElementById('event-body-raw').textContent")
    assert shown == raw, "the raw tab shows the body byte for byte"
    facts = driver.find_element(By.ID, "event-facts").text
    assert "sha256:" in facts and "ITEM.ERROR" in facts
    assert "request_body_sha256" in driver.find_element(By.ID, "event-claims").text
    headers = driver.find_element(By.ID, "event-headers").text
    assert "Plaid-Verification" in headers, headers
    delivery = driver.find_element(By.CSS_SELECTOR, "#event-deliveries .delivery")
    assert delivery.get_attribute("data-status") == "dead"
    attempts = delivery.find_elements(By.CSS_SELECTOR, "table.attempts tbody tr")
    assert len(attempts) >= 2 and "500" in attempts[0].text and "ms" in attempts[0].text, [a.text for a in attempts]
    driver.find_element(By.ID, "body-tab-pretty").click()


def tolerant_body(suite, driver, context):
    # LedgerSync's documented sample ends its objects with a comma; the gate accepts it, and the
    # console opens it pretty-printed (not on "(not JSON; see Raw)"), with a note, Raw byte for byte.
    raw = open(os.path.join(ROOT, "Fixtures", "ledgersync", "accountAdded.json"), encoding="utf-8").read()
    assert re.search(r",\s*}", raw), "the fixture still has its trailing comma"
    open_event(driver, context["base"], "accountAdded", "ledgersync")
    assert visible(driver, "event-body-pretty") and not visible(driver, "event-body-raw"), "the body opens on the Pretty tab"
    pretty = driver.execute_script("return document.getElementById('event-body-pretty').textContent")
    assert "not JSON" not in pretty, pretty[:200]
    assert json.loads(pretty) == json.loads(re.sub(r",(\s*[}\]])", r"\1", raw)), pretty[:300]
    assert '\n  "payload": {\n    "accounts": "[1542, 1367, 1257]"\n  }\n}' in pretty, pretty
    size = driver.find_element(By.ID, "event-body-size").text
    assert "not strict JSON (trailing commas)" in size, size
    driver.find_element(By.ID, "body-tab-raw").click()
    wait_until(driver, lambda d: visible(d, "event-body-raw"), "the raw body")
    shown = driver.execute_script("return document.getElementById('event-body-raw').textContent")
    assert shown == raw, "the raw tab shows the body byte for byte"
    driver.find_element(By.ID, "body-tab-pretty").click()
    # A strict JSON body opens pretty-printed without the note.
    open_event(driver, context["base"], "ITEM.ERROR", "plaid")
    assert visible(driver, "event-body-pretty") and "trailing commas" not in driver.find_element(By.ID, "event-body-size").text
    remember(suite, driver)


def markup_is_text(suite, driver, context):
    driver.get(context["base"] + "/console#/events")
    wait_until(driver, lambda d: len(event_rows(d)) == context["total"], "every event")
    # Read every cell in one script: the table re-renders on its refresh timer, and cells found
    # first and read one by one afterwards can be replaced in between (stale element references).
    texts = driver.execute_script("return Array.from(document.querySelectorAll('#events-table td')).map(td => td.innerText)")
    assert '<img src=x onerror="window.__pwned=1">.<script>window.__pwned=2</script>' in texts, "the Plaid type as text"
    assert "<script>window.__pwned=6</script>" in texts, "the LedgerSync type as text"
    assert "<img src=x onerror=window.__pwned=5>" in texts, "the LedgerSync id as text"
    assert not driver.find_elements(By.CSS_SELECTOR, "main img, main b, #events-table script")
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 9, "only the console's own nine scripts"
    open_event(driver, context["base"], "<script>window.__pwned=6</script>", "ledgersync")
    body = driver.execute_script("return document.getElementById('event-body-raw').textContent")
    assert "</pre><script>window.__pwned=4</script>" in body
    assert "</pre><script>window.__pwned=4</script>" in driver.find_element(By.ID, "event-body-pretty").text
    assert "<img src=x onerror=window.__pwned=7>" in driver.find_element(By.ID, "event-headers").text
    assert not driver.find_elements(By.CSS_SELECTOR, "main img, main script, #event-body-pretty *, #event-headers td *")
    time.sleep(1)
    assert pwned(driver) is None, f"window.__pwned = {pwned(driver)}"
    remember(suite, driver)


def dead_rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#dead-table tbody tr")


def confirm(driver, accept):
    wait_until(driver, lambda d: d.find_element(By.ID, "confirm").is_displayed(), "the confirmation")
    driver.find_element(By.ID, "confirm-ok" if accept else "confirm-cancel").click()
    wait_until(driver, lambda d: not d.find_element(By.ID, "confirm").is_displayed(), "the confirmation closed")


def redeliver_one(suite, driver, context):
    driver.get(context["base"] + "/console#/dead")
    wait_until(driver, lambda d: len(dead_rows(d)) == context["total"], f"{context['total']} dead deliveries")
    remember(suite, driver)
    driver.execute_script("window.__sameDocument = true;")
    row = dead_rows(driver)[0]
    delivery = row.get_attribute("data-delivery")
    row.find_element(By.TAG_NAME, "button").click()
    confirm(driver, accept=False)
    time.sleep(0.5)
    assert dead_rows(driver)[0].get_attribute("data-status") == "dead", "cancelled: nothing changed"
    dead_rows(driver)[0].find_element(By.TAG_NAME, "button").click()
    confirm(driver, accept=True)
    selector = f'#dead-table tr[data-delivery="{delivery}"]'
    wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector).get_attribute("data-status") == "delivered",
               "the row turns delivered without a reload")
    assert driver.find_element(By.CSS_SELECTOR, selector + " td.state").text == "delivered"
    assert "1 delivered" in driver.find_element(By.ID, "dead-result").text
    assert driver.execute_script("return window.__sameDocument === true"), "the page was not reloaded"
    remember(suite, driver)


def redeliver_all(suite, driver, context, gate):
    Select(driver.find_element(By.ID, "dead-handler")).select_by_visible_text("backend")
    wait_until(driver, lambda d: len(dead_rows(d)) == context["total"] - 1, "the remaining dead deliveries")
    button = driver.find_element(By.ID, "dead-redeliver-all")
    assert button.text == "Redeliver all of backend", button.text
    button.click()
    confirm(driver, accept=False)
    time.sleep(0.5)
    assert gate.stats()["deliveries"]["dead"] == context["total"] - 1, "cancelled: nothing redelivered"
    button.click()
    confirm(driver, accept=True)
    remaining = context["total"] - 1
    try:
        wait_until(driver, lambda d: f"{remaining} delivered, 0 waiting, 0 dead again" in d.find_element(By.ID, "dead-result").text,
                   "every row delivered", seconds=40)
    except AssertionError as error:
        states = [row.get_attribute("data-status") for row in dead_rows(driver)]
        raise AssertionError(f"{error}; result {driver.find_element(By.ID, 'dead-result').text!r}; "
                             f"error {driver.find_element(By.ID, 'dead-error').text!r}; rows {states}") from None
    assert all(row.get_attribute("data-status") == "delivered" for row in dead_rows(driver))
    assert gate.stats()["deliveries"]["dead"] == 0
    driver.find_element(By.ID, "dead-refresh").click()
    wait_until(driver, lambda d: visible(d, "dead-empty"), "no dead delivery left")
    remember(suite, driver)


# A forged Plaid webhook with markup in its request target, two headers and its body. The
# target has no space (not allowed in a request line) and is sent exactly as written.
MARKUP_TARGET = '/webhooks/plaid?note=<img/src=x/onerror=window.__pwned=11>&q="><script>window.__pwned=12</script>'
MARKUP_NOTE = "<script>window.__pwned=13</script><img src=x onerror=window.__pwned=14>"
MARKUP_KEY = "<img src=x onerror=window.__pwned=15>"
MARKUP_BODY = json.dumps({
    "webhook_type": "<script>window.__pwned=16</script>",
    "webhook_code": "</pre><img src=x onerror=window.__pwned=17>",
    "item_id": "<iframe src=javascript:window.__pwned=18></iframe>",
}, indent=2)


def definitions(driver, element_id):
    """A <dl>'s terms and descriptions as a dict of their text."""
    return driver.execute_script("""const pairs = {};
        for (const dt of document.querySelectorAll('#' + arguments[0] + ' > dt')) pairs[dt.textContent] = dt.nextElementSibling.textContent;
        return pairs;""", element_id)


def rejected_texts(driver):
    """Every row of the Rejected table as {id, recovered, cells}, read in one script."""
    return driver.execute_script("""return Array.from(document.querySelectorAll('#rejected-table tbody tr')).map(tr => ({
        id: tr.dataset.id, recovered: tr.dataset.recovered, cells: Array.from(tr.cells).map(td => td.textContent)}));""")


def shown_query(driver):
    """The query of the list the Rejected table shows (set once its answer is drawn)."""
    return driver.find_element(By.ID, "rejected-table").get_attribute("data-query")


def listed_ids(driver):
    return [row["id"] for row in rejected_texts(driver)]


def confirm_text(driver):
    wait_until(driver, lambda d: d.find_element(By.ID, "confirm").is_displayed(), "the confirmation")
    return driver.find_element(By.ID, "confirm-text").text


def rejected_markup(suite, driver, context, gate):
    forged = forge(MARKUP_BODY.encode())
    headers = {"Content-Type": "application/json", HEADERS["plaid"]: forged, "X-Note": MARKUP_NOTE, "X-Api-Key": MARKUP_KEY}
    status, answer = post_to(gate.public_port, MARKUP_TARGET, MARKUP_BODY.encode(), headers)
    assert status == 401 and "bad_signature" in answer, f"the forged webhook answered {status} {answer}"
    request = gate.wait_rejected(lambda r: "note=" in r["path"], "the forged webhook", query="?provider=plaid")
    assert request["path"] == MARKUP_TARGET, request["path"]
    assert request["reason"] == "bad_signature" and request.get("recovery") is None, request
    context["forged"] = str(request["id"])
    context["forged_token"] = forged

    driver.get(context["base"] + "/console#/rejected")
    remember(suite, driver)
    wait_until(driver, lambda d: context["forged"] in listed_ids(d), "the forged webhook listed")
    row = next(row for row in rejected_texts(driver) if row["id"] == context["forged"])
    assert row["cells"][2:6] == ["plaid", "bad_signature", "127.0.0.1", MARKUP_TARGET], row
    assert row["cells"][6] == "not recovered" and row["recovered"] == "false", row
    assert driver.find_element(By.ID, "nav-rejected").get_attribute("class") == "current"
    assert not driver.find_elements(By.CSS_SELECTOR, "main img, main iframe, #rejected-table script, #rejected-table td.path *")
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 9, "only the console's own nine scripts"

    driver.execute_script("document.querySelector('#rejected-table tr[data-id=\"' + arguments[0] + '\"] td.path').click()", context["forged"])
    wait_until(driver, lambda d: visible(d, "view-rejection") and "bad_signature" in d.find_element(By.ID, "rejection-facts").text,
               "the forged webhook's detail")
    remember(suite, driver)
    assert driver.current_url.endswith("#/rejected/" + context["forged"]), driver.current_url
    facts = definitions(driver, "rejection-facts")
    expected = {"Provider": "plaid", "Reason": "bad_signature", "Client IP": "127.0.0.1", "Path": MARKUP_TARGET, "Recovery": "not recovered"}
    for term, value in expected.items():
        assert facts.get(term) == value, f"{term}: {facts.get(term)!r}, not {value!r}"
    assert facts.get("Received") and facts.get("Request id"), facts
    body = driver.execute_script("return document.getElementById('rejection-body').textContent")
    assert body == MARKUP_BODY, "the body is shown as received, as text"
    assert "SHA-256" in driver.find_element(By.ID, "rejection-body-size").text
    pairs = driver.execute_script("""return Array.from(document.querySelectorAll('#rejection-headers tbody tr'))
        .map(tr => [tr.cells[0].textContent, tr.cells[1].textContent]);""")
    shown = {name.lower(): value for name, value in pairs}
    assert shown.get("x-note") == MARKUP_NOTE, pairs
    # Credentials are cut to their first 8 characters: the signature header and an API key.
    assert shown.get("plaid-verification") == forged[:8] + "…", pairs
    assert shown.get("x-api-key") == MARKUP_KEY[:8] + "…", pairs
    page = driver.page_source
    assert forged not in page and forged.split(".")[2] not in page, "the token is not on the page"
    assert not driver.find_elements(By.CSS_SELECTOR, "main img, main iframe, main script, #rejection-body *, #rejection-headers td *, "
                                                     "#rejection-facts dd *")
    time.sleep(1)
    assert pwned(driver) is None, f"window.__pwned = {pwned(driver)}"


def rejected_filters(suite, driver, context, gate):
    # The setup's webhook signed with an unknown kid is the one unknown_key refusal.
    unknown = gate.wait_rejected(lambda r: r["reason"] == "unknown_key", "the unknown kid's refusal", query="?reason=unknown_key")
    status, everything = gate.admin("GET", "/rejected")
    assert status == 200 and len(everything["rejected"]) >= 2, everything
    driver.get(context["base"] + "/console#/rejected")
    wait_until(driver, lambda d: len(listed_ids(d)) == len(everything["rejected"]), "every rejected request listed")
    Select(driver.find_element(By.ID, "rejected-reason")).select_by_visible_text("unknown_key")
    driver.find_element(By.ID, "rejected-apply").click()
    wait_until(driver, lambda d: listed_ids(d) == [str(unknown["id"])], "only the unknown_key refusal")
    assert "reason=unknown_key" in driver.current_url
    remember(suite, driver)
    Select(driver.find_element(By.ID, "rejected-reason")).select_by_visible_text("any")
    Select(driver.find_element(By.ID, "rejected-provider")).select_by_visible_text("ledgersync")
    driver.find_element(By.ID, "rejected-apply").click()
    wait_until(driver, lambda d: visible(d, "rejected-empty") and not listed_ids(d), "nothing refused for ledgersync")
    # Pages of one, newest first, following next_before.
    driver.get(context["base"] + "/console#/rejected?limit=1")
    ids = [str(r["id"]) for r in everything["rejected"]]
    wait_until(driver, lambda d: listed_ids(d) == ids[:1], "a first page of one")
    assert driver.find_element(By.ID, "rejected-older").get_attribute("disabled") is None
    driver.find_element(By.ID, "rejected-older").click()
    wait_until(driver, lambda d: listed_ids(d) == ids[1:2], "the second page")
    assert "before=" + ids[0] in driver.current_url, driver.current_url
    driver.find_element(By.ID, "rejected-newer").click()
    wait_until(driver, lambda d: listed_ids(d) == ids[:1], "back on the first page")
    remember(suite, driver)


def recover_forged(suite, driver, context, gate):
    driver.get(context["base"] + "/console#/rejected/" + context["forged"])
    wait_until(driver, lambda d: "bad_signature" in d.find_element(By.ID, "rejection-facts").text, "the forged webhook's detail")
    driver.find_element(By.ID, "rejection-recover").click()
    text = confirm_text(driver)
    assert f"rejected request {context['forged']} (plaid, refused bad_signature)" in text and "ignoring" not in text, text
    confirm(driver, accept=False)
    time.sleep(0.5)
    assert driver.find_element(By.ID, "rejection-result").text == "", "cancelled: nothing asked"
    driver.find_element(By.ID, "rejection-recover").click()
    confirm(driver, accept=True)
    result = driver.find_element(By.ID, "rejection-result")
    wait_until(driver, lambda d: result.get_attribute("data-outcome") == "refused", "the 409")
    assert "409" in result.text and "bad_signature" in result.text, result.text
    status, detail = gate.admin("GET", "/rejected/" + context["forged"])
    assert status == 200 and detail.get("recovery") is None, detail
    assert definitions(driver, "rejection-facts").get("Recovery") == "not recovered"
    assert pwned(driver) is None
    remember(suite, driver)


def recover_stale(suite, driver, context, gate):
    body = json.dumps({"webhook_type": "ITEM", "webhook_code": "PENDING_EXPIRATION", "item_id": "stale-" + os.urandom(4).hex()}).encode()
    headers = {"Content-Type": "application/json", HEADERS["plaid"]: sign(body, iat=int(time.time()) - 3600)}
    status, answer = post_to(gate.public_port, "/webhooks/plaid", body, headers)
    assert status == 401 and "stale_token" in answer, f"the stale webhook answered {status} {answer}"
    stale = gate.wait_rejected(lambda r: r["reason"] == "stale_token", "the stale webhook", query="?reason=stale_token")
    driver.get(context["base"] + "/console#/rejected/" + str(stale["id"]))
    wait_until(driver, lambda d: "stale_token" in d.find_element(By.ID, "rejection-facts").text, "the stale webhook's detail")
    result = driver.find_element(By.ID, "rejection-result")
    # Without ignoring its age it is still too old.
    driver.find_element(By.ID, "rejection-recover").click()
    confirm(driver, accept=True)
    wait_until(driver, lambda d: result.get_attribute("data-outcome") == "refused", "the 409 of a stale token")
    assert "409" in result.text and "stale_token" in result.text, result.text
    # Ignoring its age, it verifies and is stored with its original receipt time.
    driver.find_element(By.ID, "rejection-ignore-age").click()
    driver.find_element(By.ID, "rejection-recover").click()
    text = confirm_text(driver)
    assert "ignoring its age" in text, text
    confirm(driver, accept=True)
    wait_until(driver, lambda d: result.get_attribute("data-outcome") == "accepted", "the recovery accepted")
    status, detail = gate.admin("GET", "/rejected/" + str(stale["id"]))
    recovery = detail.get("recovery") or {}
    assert recovery.get("outcome") == "accepted" and recovery.get("via") == "console", detail
    assert recovery["event_id"] in result.text, result.text
    wait_until(driver, lambda d: d.find_element(By.ID, "rejection-facts").get_attribute("data-recovery") == "accepted", "the recovery shown")
    facts = definitions(driver, "rejection-facts").get("Recovery", "")
    assert facts.startswith("accepted as event " + recovery["event_id"]) and facts.endswith("(via console)"), facts
    # Again: the event is already stored.
    driver.find_element(By.ID, "rejection-recover").click()
    confirm(driver, accept=True)
    wait_until(driver, lambda d: result.get_attribute("data-outcome") == "duplicate", "a duplicate the second time")
    assert recovery["event_id"] in result.text, result.text
    status, events = gate.admin("GET", "/events?provider=plaid&event_type=ITEM.PENDING_EXPIRATION")
    event = next((event for event in events["events"] if event["event_id"] == recovery["event_id"]), None)
    assert event is not None and event["received_at"] == stale["received_at"], (stale, events)
    # The event says where it came from, with a link back.
    driver.get(context["base"] + "/console#/event/" + str(event["id"]))
    wait_until(driver, lambda d: definitions(d, "event-facts").get("Recovered"), "the event's recovery")
    recovered = definitions(driver, "event-facts")["Recovered"]
    assert recovered.startswith(f"from rejected request {stale['id']} (refused stale_token)") and recovered.endswith("via console"), recovered
    # The event's view is drawn again while its delivery moves: the link is clicked by a script.
    assert driver.execute_script("const a = document.querySelector('#event-facts a[href=\"#/rejected/' + arguments[0] + '\"]');"
                                 "if (a) a.click(); return Boolean(a);", str(stale["id"])), "a link to the rejected request"
    wait_until(driver, lambda d: d.find_element(By.ID, "rejection-facts").get_attribute("data-recovery") == "accepted", "back on the request")
    driver.find_element(By.ID, "rejection-back").click()
    wait_until(driver, lambda d: str(stale["id"]) in listed_ids(d), "the list again")
    row = next(row for row in rejected_texts(driver) if row["id"] == str(stale["id"]))
    assert row["recovered"] == "true" and row["cells"][6] == "accepted (console)", row
    remember(suite, driver)


def warnings_and_bulk(suite, driver, context, gate):
    driver.get(context["base"] + "/console#/overview")
    wait_until(driver, lambda d: provider_row(d, "linkmoney") is not None, "the overview")
    assert "linkmoney" not in driver.find_element(By.ID, "ov-warnings").text
    # 14 LinkMoney fixtures were accepted: 5 forged ones are 26 % refused.
    for n in range(5):
        body = json.dumps({"webhook_type": "ITEM", "webhook_code": "ERROR", "item_id": f"forged-{n}"}).encode()
        status, _ = post_to(gate.public_port, "/webhooks/linkmoney", body,
                            {"Content-Type": "application/json", HEADERS["linkmoney"]: forge(body)})
        assert status == 401, f"forged LinkMoney webhook {n} answered {status}"
    wait_until(driver, lambda d: visible(d, "ov-warnings") and "linkmoney:" in d.find_element(By.ID, "ov-warnings").text,
               "the warning banner", seconds=10)
    banner = driver.find_element(By.ID, "ov-warnings").text
    assert re.search(r"linkmoney: \d+ % refused in the last hour \(5 of 19\); see GET /rejected", banner), banner
    remember(suite, driver)
    # The banner is drawn again on every poll: the link is read and clicked by scripts, never kept.
    links = driver.execute_script("return Array.from(document.querySelectorAll('#ov-warnings-list a')).map(a => a.getAttribute('href'))")
    assert links == ["#/rejected?provider=linkmoney"], links
    # The quarantine is written asynchronously: wait until the gate lists all five.
    deadline = time.monotonic() + 20
    while len(gate.admin("GET", "/rejected?provider=linkmoney&reason=bad_signature")[1]["rejected"]) < 5:
        assert time.monotonic() < deadline, "the 5 forged LinkMoney webhooks in the quarantine"
        time.sleep(0.1)
    driver.execute_script("document.querySelector('#ov-warnings-list a').click()")
    wait_until(driver, lambda d: visible(d, "view-rejected") and len(listed_ids(d)) == 5, "linkmoney's 5 rejected requests")
    assert Select(driver.find_element(By.ID, "rejected-provider")).first_selected_option.text == "linkmoney"
    Select(driver.find_element(By.ID, "rejected-reason")).select_by_visible_text("bad_signature")
    driver.find_element(By.ID, "rejected-apply").click()
    wait_until(driver, lambda d: shown_query(d) == "?provider=linkmoney&reason=bad_signature" and len(listed_ids(d)) == 5, "the filter applied")
    button = driver.find_element(By.ID, "rejected-recover-all")
    button.click()
    text = confirm_text(driver)
    assert "Recover the 5 rejected requests not yet recovered of provider linkmoney, reason bad_signature" in text, text
    confirm(driver, accept=False)
    time.sleep(0.5)
    assert driver.find_element(By.ID, "rejected-result").text == "", "cancelled: nothing recovered"
    button.click()
    confirm(driver, accept=True)
    result = driver.find_element(By.ID, "rejected-result")
    wait_until(driver, lambda d: result.get_attribute("data-outcome") == "tally", "the tally")
    assert "5 examined: 0 accepted, 0 duplicate, still refused: bad_signature 5." in result.text, result.text
    assert all(row["recovered"] == "false" for row in rejected_texts(driver))
    remember(suite, driver)


def screenshots(suite, driver, context, gate):
    """40 s of mixed traffic (accepted, duplicates, unknown kids) so the charts have something to show."""
    driver.get(context["base"] + "/console#/overview")
    wait_until(driver, lambda d: provider_row(d, "plaid") is not None, "the overview")
    stop = threading.Event()

    def traffic():
        n = 0
        while not stop.is_set():
            n += 1
            body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "DEFAULT_UPDATE", "item_id": f"item-{n}"}).encode()
            post_webhook(gate.public_port, "plaid", body, {})
            if n % 3 == 0:
                post_webhook(gate.public_port, "plaid", body, {})  # a duplicate
            if n % 5 == 0:
                post_webhook(gate.public_port, "linkmoney", body, {}, kid="rotated-away")
            time.sleep(0.15 + 0.1 * (1 + math.sin(n / 15)))

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    time.sleep(40)
    stop.set()
    worker.join(timeout=10)
    time.sleep(2.5)
    driver.save_screenshot(os.path.join(suite.args.screenshots, "console-overview.png"))
    open_event(driver, context["base"], "ITEM.ERROR", "plaid")
    wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#event-deliveries .delivery").get_attribute("data-status") == "delivered",
               "the redelivered event")
    driver.set_window_size(1360, 1300)
    driver.save_screenshot(os.path.join(suite.args.screenshots, "console-event.png"))
    driver.set_window_size(1360, 1000)


def refused_token(suite, driver, base):
    driver.execute_script("sessionStorage.setItem('hookgate.console.token', 'a-token-the-gate-does-not-know');")
    driver.get(base + "/console#/events")
    wait_until(driver, lambda d: visible(d, "view-signin"), "the sign-in form after a 401")
    assert driver.execute_script("return sessionStorage.getItem('hookgate.console.token')") is None
    field = driver.find_element(By.ID, "signin-token")
    field.send_keys(TOKEN)
    driver.find_element(By.ID, "signin-submit").click()
    wait_until(driver, lambda d: visible(d, "view-events"), "the events again after signing in")
    remember(suite, driver)
    driver.find_element(By.ID, "sign-out").click()
    wait_until(driver, lambda d: visible(d, "view-signin"), "the sign-in form after signing out")
    assert driver.execute_script("return sessionStorage.length") == 0
    remember(suite, driver)


def token_stays_secret(suite, driver, gate):
    for url in suite.urls + [driver.current_url]:
        assert TOKEN not in url and "token=" not in url, url
    assert driver.execute_script("return document.cookie") == ""
    log = gate.log_text()
    assert log.strip(), "the gate wrote a log"
    assert TOKEN not in log, "the token is in the gate's log"


def no_token(driver, gate):
    base = f"http://127.0.0.1:{gate.admin_port}"
    with urllib.request.urlopen(base + "/stats", timeout=5) as answer:
        assert answer.status == 200
    driver.get(base + "/console")
    wait_until(driver, lambda d: visible(d, "view-overview") and visible(d, "nav"), "the overview without a sign-in")
    assert not visible(driver, "sign-out") and not visible(driver, "view-signin")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "hookgate"))
    parser.add_argument("--screenshots", metavar="DIR", help="save console-overview.png and console-event.png here")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the gates' temporary folders (database, log)")
    parser.add_argument("--no-token", action="store_true", help="run the gate without admin.token (no sign-in checks)")
    args = parser.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
