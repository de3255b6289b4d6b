// HookGate console: one event. Headers, the body (pretty-printed JSON and the raw text),
// claims, and every delivery with every attempt; redelivery of one delivery or all of them.
// Everything here came from a sender: it is set with textContent only.
"use strict";

(function () {
    const HG = window.HG;
    let row = null;
    let generation = 0;
    let timer = null;
    // Whether the body's tab is still to be chosen (once per event, not on each refresh).
    let tabPending = false;

    const pretty = (text) => {
        try {
            return JSON.stringify(JSON.parse(text), null, 2);
        } catch (_) {
            return null;
        }
    };

    // The one relaxation of JSON the gate's parser accepts (JOSE's JSONParser, for
    // LedgerSync's documented payloads): a comma after the last member or element.
    // Those commas are dropped, outside strings, where a value precedes them.
    const withoutTrailingCommas = (text) => {
        let out = "";
        let inString = false;
        for (let i = 0; i < text.length; i++) {
            const c = text[i];
            if (inString) {
                out += c;
                if (c === "\\") {
                    out += text[i + 1] || "";
                    i++;
                } else if (c === '"') {
                    inString = false;
                }
                continue;
            }
            if (c === '"') inString = true;
            if (c === ",") {
                let next = i + 1;
                while (next < text.length && " \t\r\n".includes(text[next])) next++;
                const before = out.trimEnd().slice(-1);
                if ((text[next] === "}" || text[next] === "]") && before !== "" && !"[{,".includes(before)) continue;
            }
            out += c;
        }
        return out;
    };

    /** The body pretty-printed: `{text, strict}`, or null when not even the gate's parser would take it. */
    const prettyBody = (text) => {
        const strict = pretty(text);
        if (strict !== null) return { text: strict, strict: true };
        const tolerant = pretty(withoutTrailingCommas(text));
        return tolerant === null ? null : { text: tolerant, strict: false };
    };

    const stopTimer = () => {
        if (timer) clearTimeout(timer);
        timer = null;
    };

    const showBody = (detail) => {
        const prettyBox = HG.$("event-body-pretty");
        const rawBox = HG.$("event-body-raw");
        let raw;
        if (typeof detail.body === "string") {
            const formatted = prettyBody(detail.body);
            prettyBox.textContent = formatted === null ? "(not JSON: Raw shows the text as received)" : formatted.text;
            rawBox.textContent = detail.body;
            let size = "(" + new TextEncoder().encode(detail.body).length + " bytes, SHA-256 " + detail.body_sha256 + ")";
            if (formatted !== null && !formatted.strict) size += " not strict JSON (trailing commas): Pretty shows it as the gate parses it";
            HG.$("event-body-size").textContent = size;
            // A body that is not JSON opens on its text as received.
            raw = formatted === null;
        } else {
            prettyBox.textContent = "(not UTF-8 text; Raw shows the bytes in base64)";
            rawBox.textContent = detail.body_base64 || "";
            HG.$("event-body-size").textContent = "(SHA-256 " + detail.body_sha256 + ")";
            raw = true;
        }
        if (tabPending) {
            tabPending = false;
            selectTab(raw);
        }
    };

    const selectTab = (raw) => {
        HG.$("body-tab-pretty").classList.toggle("selected", !raw);
        HG.$("body-tab-raw").classList.toggle("selected", raw);
        HG.$("event-body-pretty").hidden = raw;
        HG.$("event-body-raw").hidden = !raw;
    };

    const attemptTable = (attempts) => {
        if (!attempts.length) return HG.el("p", { class: "muted" }, "No attempt yet.");
        const body = HG.el("tbody");
        for (const attempt of attempts) {
            // The state words the rest of the gate uses: an attempt delivered its delivery, or failed.
            const outcome = attempt.succeeded ? "delivered" : "failed";
            body.appendChild(HG.el("tr", null,
                HG.el("td", { class: "num" }, String(attempt.number)),
                HG.el("td", null, HG.formatTime(attempt.started_at)),
                HG.el("td", null, HG.badge(outcome, outcome)),
                HG.el("td", { class: "num" }, typeof attempt.status_code === "number" ? String(attempt.status_code) : "–"),
                HG.el("td", { class: "num" }, HG.formatNumber(attempt.duration_milliseconds, 1) + " ms"),
                HG.el("td", { class: "wrap" }, attempt.excerpt || "")));
        }
        return HG.el("table", { class: "grid attempts" },
            HG.el("thead", null, HG.el("tr", null, HG.el("th", { class: "num" }, "#"), HG.el("th", null, "Started"), HG.el("th", null, "Result"),
                HG.el("th", { class: "num" }, "Status"), HG.el("th", { class: "num" }, "Duration"), HG.el("th", null, "Error"))),
            body);
    };

    const showDeliveries = (detail) => {
        const box = HG.clear(HG.$("event-deliveries"));
        if (!detail.deliveries.length) {
            box.appendChild(HG.el("p", { class: "muted" }, "No handler matched this event."));
            return;
        }
        for (const { delivery, attempts } of detail.deliveries) {
            const button = HG.el("button", { type: "button", class: "small secondary", dataset: { delivery: String(delivery.id) } }, "Redeliver");
            button.disabled = delivery.status === "in_flight";
            button.addEventListener("click", () => redeliverOne(delivery));
            const heading = HG.el("h3", null, "Delivery " + delivery.id + " to ", HG.el("span", { class: "mono" }, delivery.handler),
                HG.badge(delivery.status, delivery.status), button);
            const facts = [];
            if (!HG.settled(delivery.status)) facts.push("next attempt " + HG.formatTime(delivery.next_attempt_at));
            if (delivery.order_key) facts.push("order key " + delivery.order_key);
            if (delivery.last_error) facts.push("last error: " + delivery.last_error);
            box.appendChild(HG.el("div", { class: "delivery", dataset: { delivery: String(delivery.id), status: delivery.status } },
                heading, facts.length ? HG.el("p", { class: "muted wrap" }, facts.join(" · ")) : null, attemptTable(attempts)));
        }
    };

    /** Where a recovered event came from: a link to its rejected request, then when and by which route. */
    const recoveredFact = (recovered) => {
        const fact = document.createDocumentFragment();
        const id = String(Number(recovered.rejected_id));
        HG.append(fact, "from ", HG.el("a", { href: "#/rejected/" + id }, "rejected request " + id),
            " (refused " + recovered.reason + ") at " + HG.formatTime(recovered.at) + " via " + recovered.via);
        return fact;
    };

    const show = (detail) => {
        HG.$("event-title").textContent = "Event " + detail.id + ": " + detail.provider + " " + detail.event_type;
        HG.fillList(HG.$("event-facts"), [
            ["Row", String(detail.id)],
            ["Provider", detail.provider],
            ["Event id", detail.event_id],
            ["Event type", detail.event_type],
            ["Received", HG.formatTime(detail.received_at)],
            ["Client IP", detail.client_ip || "–"],
            ["Request id", detail.request_id],
        ].concat(detail.recovered ? [["Recovered", recoveredFact(detail.recovered)]] : []));
        showBody(detail);
        const claims = detail.claims ? pretty(detail.claims) || detail.claims : "(none: this provider's scheme carries no claims)";
        HG.$("event-claims").textContent = claims;
        const headers = HG.clear(HG.$("event-headers").tBodies[0]);
        for (const [name, value] of detail.headers) {
            headers.appendChild(HG.el("tr", null, HG.el("td", { class: "mono" }, name), HG.el("td", { class: "wrap mono" }, value)));
        }
        showDeliveries(detail);
    };

    const load = async () => {
        const mine = generation;
        stopTimer();
        try {
            const detail = await HG.get("/events/" + encodeURIComponent(row));
            if (mine !== generation) return;
            HG.$("event-error").textContent = "";
            show(detail);
            // Follow deliveries that are still moving.
            if (detail.deliveries.some(({ delivery }) => !HG.settled(delivery.status))) timer = setTimeout(load, 2000);
        } catch (error) {
            if (mine !== generation || error.status === 401) return;
            HG.$("event-error").textContent = "Could not load event " + row + ": " + error.message;
        }
    };

    const redeliverOne = async (delivery) => {
        const ok = await HG.confirm("Redeliver delivery " + delivery.id + " (handler " + delivery.handler + ") now?");
        if (!ok) return;
        try {
            await HG.post("/deliveries/" + encodeURIComponent(String(delivery.id)) + "/redeliver");
            HG.$("event-result").textContent = "Delivery " + delivery.id + " queued.";
        } catch (error) {
            HG.$("event-result").textContent = "Redelivery failed: " + error.message;
        }
        load();
    };

    const redeliverAll = async () => {
        const ok = await HG.confirm("Redeliver every delivery of event " + row + " now (delivered ones too)?");
        if (!ok) return;
        try {
            const answer = await HG.post("/events/" + encodeURIComponent(row) + "/redeliver");
            HG.$("event-result").textContent = answer.redelivering + " deliveries queued.";
        } catch (error) {
            HG.$("event-result").textContent = "Redelivery failed: " + error.message;
        }
        load();
    };

    let wired = false;
    HG.event = {
        /** Shows event `id` (a row id). */
        show(id) {
            if (!wired) {
                wired = true;
                HG.$("body-tab-pretty").addEventListener("click", () => selectTab(false));
                HG.$("body-tab-raw").addEventListener("click", () => selectTab(true));
                HG.$("event-redeliver").addEventListener("click", redeliverAll);
            }
            generation += 1;
            row = id;
            HG.$("event-result").textContent = "";
            HG.$("event-title").textContent = "Event " + id;
            for (const box of ["event-body-pretty", "event-body-raw", "event-claims", "event-body-size"]) HG.$(box).textContent = "";
            HG.clear(HG.$("event-facts"));
            HG.clear(HG.$("event-headers").tBodies[0]);
            HG.clear(HG.$("event-deliveries"));
            selectTab(false);
            tabPending = true;
            load();
        },
        hide() {
            generation += 1;
            stopTimer();
        },
    };
})();
