// HookGate console: dead deliveries. Redeliver one, or all of a handler's, after a
// confirmation; the rows then follow their deliveries' states until they settle.
"use strict";

(function () {
    const HG = window.HG;
    const followMs = 120 * 1000;
    const handlers = new Set();
    const followed = new Map(); // delivery id -> { eventRow, status, since }
    let timer = null;
    let visible = false;

    const stopTimer = () => {
        if (timer) clearTimeout(timer);
        timer = null;
    };

    const selectedHandler = () => HG.$("dead-handler").value;

    const fillHandlers = () => {
        const select = HG.$("dead-handler");
        const chosen = select.value;
        while (select.options.length > 1) select.remove(1);
        for (const name of [...handlers].sort()) select.appendChild(HG.el("option", null, name));
        select.value = handlers.has(chosen) ? chosen : "";
        HG.$("dead-redeliver-all").textContent = select.value ? "Redeliver all of " + select.value : "Redeliver all";
    };

    const rowOf = (id) => HG.$("dead-table").tBodies[0].querySelector('tr[data-delivery="' + String(Number(id)) + '"]');

    const setState = (id, delivery) => {
        const row = rowOf(id);
        if (!row) return;
        row.dataset.status = delivery.status;
        HG.append(HG.clear(row.querySelector("td.state")), HG.badge(delivery.status, delivery.status));
        if (typeof delivery.attempts === "number") row.querySelector("td.attempts").textContent = String(delivery.attempts);
        if (delivery.status === "delivered") row.querySelector("td.error").textContent = "";
        else if (delivery.last_error !== undefined) row.querySelector("td.error").textContent = delivery.last_error || "";
    };

    const summary = () => {
        const counts = { delivered: 0, dead: 0, waiting: 0 };
        for (const entry of followed.values()) {
            if (entry.status === "delivered") counts.delivered += 1;
            else if (entry.status === "dead") counts.dead += 1;
            else counts.waiting += 1;
        }
        return counts;
    };

    const report = (prefix) => {
        const counts = summary();
        HG.$("dead-result").textContent = prefix + ": " + counts.delivered + " delivered, " + counts.waiting + " waiting, "
            + counts.dead + " dead again.";
    };

    let lastPrefix = "";
    const follow = async () => {
        timer = null;
        if (!visible) return;
        const now = Date.now();
        const open = [...followed.entries()].filter(([, entry]) => !HG.settled(entry.status) && now - entry.since < followMs);
        if (!open.length) return;
        try {
            const answer = await HG.get("/deliveries" + HG.query({ handler: selectedHandler(), limit: 1000 }));
            const byID = new Map((answer.deliveries || []).map((delivery) => [delivery.id, delivery]));
            let lookups = 0;
            for (const [id, entry] of open) {
                let delivery = byID.get(id);
                if (!delivery && lookups < 10) {
                    lookups += 1;
                    const detail = await HG.get("/events/" + encodeURIComponent(String(entry.eventRow)));
                    const found = detail.deliveries.find((item) => item.delivery.id === id);
                    delivery = found ? found.delivery : undefined;
                }
                if (!delivery) continue;
                entry.status = delivery.status;
                setState(id, delivery);
            }
            report(lastPrefix);
        } catch (error) {
            if (error.status === 401) return;
            HG.$("dead-error").textContent = "Could not follow the redeliveries: " + error.message;
        }
        if (visible) timer = setTimeout(follow, 1500);
    };

    const startFollowing = (deliveries, prefix) => {
        const now = Date.now();
        for (const delivery of deliveries) {
            followed.set(delivery.id, { eventRow: delivery.event_row, status: "retrying", since: now });
            setState(delivery.id, { status: "retrying" });
        }
        lastPrefix = prefix;
        report(prefix);
        stopTimer();
        timer = setTimeout(follow, 500);
    };

    const redeliverOne = async (delivery) => {
        const what = "delivery " + delivery.id + " (event " + delivery.event_row + ", handler " + delivery.handler + ")";
        const ok = await HG.confirm("Redeliver " + what + " now?");
        if (!ok) return;
        HG.$("dead-error").textContent = "";
        try {
            await HG.post("/deliveries/" + encodeURIComponent(String(delivery.id)) + "/redeliver");
            startFollowing([delivery], "Delivery " + delivery.id + " redelivered");
        } catch (error) {
            if (error.status !== 401) HG.$("dead-error").textContent = "Redelivery of " + delivery.id + " failed: " + error.message;
        }
    };

    const redeliverAll = async () => {
        const handler = selectedHandler();
        const rows = [...HG.$("dead-table").tBodies[0].rows].filter((row) => row.dataset.status === "dead");
        const what = handler ? "every dead delivery of handler " + handler : "every dead delivery of every handler";
        const ok = await HG.confirm("Redeliver " + what + " now?", "Redeliver all");
        if (!ok) return;
        HG.$("dead-error").textContent = "";
        try {
            const answer = await HG.post("/deliveries/redeliver-dead" + HG.query({ handler }));
            const deliveries = rows.map((row) => ({ id: Number(row.dataset.delivery), event_row: Number(row.dataset.event) }));
            startFollowing(deliveries, answer.redelivering + " deliveries redelivered");
        } catch (error) {
            if (error.status !== 401) HG.$("dead-error").textContent = "Redelivery failed: " + error.message;
        }
    };

    const render = (deliveries) => {
        const body = HG.clear(HG.$("dead-table").tBodies[0]);
        for (const delivery of deliveries) {
            const button = HG.el("button", { type: "button", class: "small", dataset: { delivery: String(delivery.id) } }, "Redeliver");
            button.addEventListener("click", () => redeliverOne(delivery));
            body.appendChild(HG.el("tr", { dataset: { delivery: String(delivery.id), event: String(delivery.event_row), status: delivery.status } },
                HG.el("td", { class: "num" }, String(delivery.id)),
                HG.el("td", { class: "num" }, HG.el("a", { href: "#/event/" + Number(delivery.event_row) }, String(delivery.event_row))),
                HG.el("td", null, delivery.provider),
                HG.el("td", { class: "wrap" }, delivery.event_type),
                HG.el("td", { class: "mono" }, delivery.handler),
                HG.el("td", { class: "num attempts" }, String(delivery.attempts)),
                HG.el("td", { class: "wrap error" }, delivery.last_error || ""),
                HG.el("td", { class: "state" }, HG.badge(delivery.status, delivery.status)),
                HG.el("td", null, button)));
        }
        HG.$("dead-empty").hidden = deliveries.length > 0;
        HG.$("dead-redeliver-all").disabled = deliveries.length === 0;
    };

    const load = async () => {
        HG.$("dead-error").textContent = "";
        try {
            const answer = await HG.get("/deliveries" + HG.query({ status: "dead", handler: selectedHandler(), limit: 1000 }));
            const deliveries = answer.deliveries || [];
            for (const delivery of deliveries) handlers.add(delivery.handler);
            fillHandlers();
            render(deliveries);
        } catch (error) {
            if (error.status !== 401) HG.$("dead-error").textContent = "Could not list dead deliveries: " + error.message;
        }
    };

    let wired = false;
    HG.dead = {
        show() {
            if (!wired) {
                wired = true;
                HG.$("dead-redeliver-all").addEventListener("click", redeliverAll);
                HG.$("dead-refresh").addEventListener("click", () => {
                    followed.clear();
                    HG.$("dead-result").textContent = "";
                    load();
                });
                HG.$("dead-handler").addEventListener("change", () => {
                    followed.clear();
                    HG.$("dead-result").textContent = "";
                    fillHandlers();
                    load();
                });
            }
            visible = true;
            followed.clear();
            HG.$("dead-result").textContent = "";
            load();
        },
        hide() {
            visible = false;
            stopTimer();
        },
    };
})();
