// HookGate console: one rejected request. Its reason, time, client address, path, masked
// headers and body as received, its recovery; "Recover" verifies it again after a confirmation.
// Everything here came from whoever sent the request: it is set with textContent only.
"use strict";

(function () {
    const HG = window.HG;
    let id = null;
    let generation = 0;
    let shown = null; // the document shown

    const recoveryText = (recovery) =>
        recovery
            ? recovery.outcome + " as event " + recovery.event_id + " at " + HG.formatTime(recovery.at) + " (via " + recovery.via + ")"
            : "not recovered";

    const show = (detail) => {
        shown = detail;
        HG.$("rejection-title").textContent = "Rejected request " + detail.id + ": " + detail.provider + " " + detail.reason;
        HG.fillList(HG.$("rejection-facts"), [
            ["Id", String(detail.id)],
            ["Provider", detail.provider],
            ["Reason", detail.reason],
            ["Received", HG.formatTime(detail.received_at)],
            ["Client IP", detail.client_ip || "–"],
            ["Path", detail.path],
            ["Request id", detail.request_id],
            ["Recovery", recoveryText(detail.recovery)],
        ]);
        HG.$("rejection-facts").dataset.recovery = detail.recovery ? detail.recovery.outcome : "none";
        const box = HG.$("rejection-body");
        if (typeof detail.body === "string") {
            box.textContent = detail.body;
            HG.$("rejection-body-size").textContent =
                "(" + new TextEncoder().encode(detail.body).length + " bytes as received, SHA-256 " + detail.body_sha256 + ")";
        } else {
            box.textContent = detail.body_base64 || "";
            HG.$("rejection-body-size").textContent = "(not UTF-8 text: shown in base64; SHA-256 " + detail.body_sha256 + ")";
        }
        const headers = HG.clear(HG.$("rejection-headers").tBodies[0]);
        for (const [name, value] of detail.headers || []) {
            headers.appendChild(HG.el("tr", null, HG.el("td", { class: "mono" }, name), HG.el("td", { class: "wrap mono" }, value)));
        }
    };

    const load = async () => {
        const mine = generation;
        try {
            const detail = await HG.get("/rejected/" + encodeURIComponent(id));
            if (mine !== generation) return;
            HG.$("rejection-error").textContent = "";
            show(detail);
        } catch (error) {
            if (mine !== generation || error.status === 401) return;
            HG.$("rejection-error").textContent = "Could not load rejected request " + id + ": " + error.message;
        }
    };

    const report = (outcome, text) => {
        const result = HG.$("rejection-result");
        result.textContent = text;
        result.dataset.outcome = outcome;
    };

    const recover = async () => {
        const mine = generation;
        const ignoreAge = HG.$("rejection-ignore-age").checked;
        const what = shown ? "rejected request " + shown.id + " (" + shown.provider + ", refused " + shown.reason + ")" : "rejected request " + id;
        const ok = await HG.confirm("Recover " + what + "? It is verified again with today's keys and configuration"
            + (ignoreAge ? ", ignoring its age" : "") + "; if it verifies it is stored and delivered as if accepted when it was received.",
        "Recover");
        if (!ok || mine !== generation) return;
        const button = HG.$("rejection-recover");
        button.disabled = true;
        report("pending", "Verifying again…");
        try {
            const answer = await HG.post("/rejected/" + encodeURIComponent(id) + "/recover", { ignore_age: ignoreAge, via: "console" });
            if (mine !== generation) return;
            if (answer.status === "accepted") report("accepted", "Accepted: stored as event " + answer.event_id + " and queued for delivery.");
            else report("duplicate", "Duplicate: event " + answer.event_id + " was already stored; nothing new is delivered.");
        } catch (error) {
            if (mine !== generation || error.status === 401) return;
            if (error.status === 409) report("refused", "Still refused (409): " + (error.code || error.message) + ". It stays in the quarantine.");
            else report("error", "Recovery failed: " + error.message);
        } finally {
            button.disabled = false;
        }
        load();
    };

    let wired = false;
    HG.rejection = {
        /** Shows rejected request `value` (a row id). */
        show(value) {
            if (!wired) {
                wired = true;
                HG.$("rejection-recover").addEventListener("click", recover);
            }
            generation += 1;
            id = value;
            shown = null;
            HG.$("rejection-title").textContent = "Rejected request " + value;
            HG.$("rejection-error").textContent = "";
            HG.$("rejection-result").textContent = "";
            delete HG.$("rejection-result").dataset.outcome;
            HG.$("rejection-ignore-age").checked = false;
            HG.$("rejection-body").textContent = "";
            HG.$("rejection-body-size").textContent = "";
            HG.clear(HG.$("rejection-facts"));
            HG.clear(HG.$("rejection-headers").tBodies[0]);
            load();
        },
        hide() {
            generation += 1;
        },
    };
})();
