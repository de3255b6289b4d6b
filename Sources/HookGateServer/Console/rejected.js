// HookGate console: the rejected requests (the quarantine of refused webhooks). Filters live
// in the address's fragment (#/rejected?provider=…), as in the events list. "Recover all of
// this filter" verifies again every matching request not yet recovered, after a confirmation
// that names the filter and how many there are.
// Paths, addresses and reasons came from whoever sent the request: set with textContent only.
"use strict";

(function () {
    const HG = window.HG;
    const filterNames = ["provider", "reason", "since", "limit"];
    const limits = ["25", "50", "100"];
    // The codes whose refusals are kept (HookGateError.Code.isQuarantined): every 401, and
    // the 400s of a complete body.
    const reasons = [
        "bad_signature", "body_mismatch", "stale_token", "future_token", "unknown_key", "expired_key", "missing_signature",
        "malformed_token", "unsupported_algorithm", "missing_key_id", "bad_token", "malformed_body", "missing_event_id",
    ];
    // What one bulk recovery examines at most (the admin API's default and the list's page bound).
    const bulkLimit = 1000;
    let cursors = [];      // the `before` of each newer page, for "← Newer"
    let current = {};      // the filters and cursor shown
    let nextBefore = null; // the cursor of the next older page
    let loads = 0;         // the latest load: an older answer arriving late is not drawn

    const readForm = () => ({
        provider: HG.$("rejected-provider").value,
        reason: HG.$("rejected-reason").value,
        since: HG.fromLocalInput(HG.$("rejected-since").value),
        limit: HG.$("rejected-limit").value === "50" ? "" : HG.$("rejected-limit").value,
    });

    /** Adds `value` to a select's choices when missing (text, never markup). */
    const addOption = (select, value) => {
        if (!value || Array.from(select.options).some((option) => option.value === value)) return;
        select.appendChild(HG.el("option", null, value));
    };

    /** The providers come from /stats, as in the events list; /stats also says whether the quarantine is on. */
    const loadProviders = async () => {
        try {
            const stats = await HG.get("/stats");
            for (const name of Object.keys(stats.providers || {}).sort()) addOption(HG.$("rejected-provider"), name);
            HG.$("rejected-provider").value = current.provider || "";
            HG.$("rejected-off").hidden = !(stats.quarantine && stats.quarantine.enabled === false);
        } catch (error) {
            // The list still works with the choices it has; the overview shows the error.
        }
    };

    const fillForm = (params) => {
        addOption(HG.$("rejected-provider"), params.provider);
        HG.$("rejected-provider").value = params.provider || "";
        addOption(HG.$("rejected-reason"), params.reason);
        HG.$("rejected-reason").value = params.reason || "";
        HG.$("rejected-since").value = params.since ? HG.toLocalInput(params.since) : "";
        // A page size from the address that is not one of the choices is shown as one.
        if (params.limit && /^[0-9]{1,4}$/.test(params.limit)) addOption(HG.$("rejected-limit"), params.limit);
        HG.$("rejected-limit").value = params.limit && /^[0-9]{1,4}$/.test(params.limit) ? params.limit : "50";
    };

    const filtersOf = (params) => {
        const filters = {};
        for (const name of filterNames) if (params[name]) filters[name] = params[name];
        return filters;
    };

    const go = (params) => {
        location.hash = "#/rejected" + HG.query(params);
    };

    /** A request's recovery as a badge: "accepted", "duplicate", or "not recovered". */
    const recoveryBadge = (recovery) => {
        if (!recovery) return HG.el("span", { class: "muted" }, "not recovered");
        return HG.badge(recovery.outcome, recovery.outcome + " (" + recovery.via + ")");
    };

    const renderRows = (requests) => {
        const body = HG.clear(HG.$("rejected-table").tBodies[0]);
        for (const request of requests) {
            const target = "#/rejected/" + encodeURIComponent(String(request.id));
            const row = HG.el("tr", { class: "link", dataset: { id: String(request.id), recovered: request.recovery ? "true" : "false" } },
                HG.el("td", { class: "num" }, HG.el("a", { href: target }, String(request.id))),
                HG.el("td", null, HG.formatTime(request.received_at)),
                HG.el("td", null, request.provider),
                HG.el("td", { class: "reason" }, HG.badge("reason", request.reason)),
                HG.el("td", { class: "mono" }, request.client_ip || "–"),
                HG.el("td", { class: "wrap mono path" }, request.path),
                HG.el("td", { class: "recovery" }, recoveryBadge(request.recovery)));
            row.addEventListener("click", (click) => {
                if (click.target.closest("a")) return;
                location.hash = target;
            });
            body.appendChild(row);
        }
        HG.$("rejected-empty").hidden = requests.length > 0;
    };

    const load = async () => {
        const mine = ++loads;
        HG.$("rejected-error").textContent = "";
        delete HG.$("rejected-table").dataset.query;
        try {
            const shown = Object.assign({}, current);
            const answer = await HG.get("/rejected" + HG.query(shown));
            if (mine !== loads) return;
            nextBefore = answer.next_before || null;
            renderRows(answer.rejected || []);
            // Which list the table shows (the browser tests wait for it).
            HG.$("rejected-table").dataset.query = HG.query(shown);
        } catch (error) {
            if (mine !== loads || error.status === 401) return;
            nextBefore = null;
            renderRows([]);
            HG.$("rejected-empty").hidden = true;
            HG.$("rejected-error").textContent = "Could not list rejected requests: " + error.message;
        }
        HG.$("rejected-older").disabled = !nextBefore;
        HG.$("rejected-newer").disabled = cursors.length === 0;
        HG.$("rejected-newest").disabled = !current.before;
        HG.$("rejected-page").textContent = "Page " + (cursors.length + 1);
    };

    /** The shown filter in words, e.g. "provider plaid, reason bad_signature, received from 2026-…". */
    const describe = (filters) => {
        const parts = [];
        if (filters.provider) parts.push("provider " + filters.provider);
        if (filters.reason) parts.push("reason " + filters.reason);
        if (filters.since) parts.push("received from " + HG.formatTime(Number(filters.since)));
        return parts.length ? parts.join(", ") : "every provider and reason";
    };

    /** How many requests match `filters` and are not yet recovered (counted up to `bulkLimit`). */
    const countUnrecovered = async (filters) => {
        let count = 0;
        let before = null;
        for (let page = 0; page < 20 && count < bulkLimit; page++) {
            const query = { provider: filters.provider, reason: filters.reason, since: filters.since, limit: 1000, before };
            const answer = await HG.get("/rejected" + HG.query(query));
            count += (answer.rejected || []).filter((request) => !request.recovery).length;
            before = answer.next_before || null;
            if (!before) break;
        }
        return Math.min(count, bulkLimit);
    };

    const tallyText = (tally) => {
        const refused = Object.entries(tally.refused || {}).sort((a, b) => b[1] - a[1]);
        const still = refused.length ? "still refused: " + refused.map(([code, n]) => code + " " + n).join(", ") : "none still refused";
        return tally.examined + " examined: " + tally.accepted + " accepted, " + tally.duplicate + " duplicate, " + still + ".";
    };

    const recoverAll = async () => {
        const filters = filtersOf(current);
        const ignoreAge = HG.$("rejected-ignore-age").checked;
        const what = describe(filters);
        const result = HG.$("rejected-result");
        HG.$("rejected-error").textContent = "";
        result.textContent = "";
        delete result.dataset.outcome;
        let count;
        try {
            count = await countUnrecovered(filters);
        } catch (error) {
            if (error.status !== 401) HG.$("rejected-error").textContent = "Could not count the rejected requests: " + error.message;
            return;
        }
        if (count === 0) {
            result.textContent = "Nothing to recover: no rejected request of " + what + " is waiting for recovery.";
            result.dataset.outcome = "nothing";
            return;
        }
        const bound = count >= bulkLimit ? " (at most " + bulkLimit + " in one run)" : "";
        const ok = await HG.confirm("Recover the " + count + " rejected requests not yet recovered of " + what + bound
            + "? Each is verified again with today's keys and configuration" + (ignoreAge ? ", ignoring its age" : "")
            + "; those that verify are stored and delivered.", "Recover " + count);
        if (!ok) return;
        const body = { ignore_age: ignoreAge, via: "console", limit: bulkLimit };
        if (filters.provider) body.provider = filters.provider;
        if (filters.reason) body.reason = filters.reason;
        if (filters.since) body.since = Number(filters.since);
        HG.$("rejected-recover-all").disabled = true;
        try {
            const tally = await HG.post("/rejected/recover", body);
            result.textContent = "Recovery of " + what + ": " + tallyText(tally);
            result.dataset.outcome = "tally";
        } catch (error) {
            if (error.status !== 401) HG.$("rejected-error").textContent = "Recovery failed: " + error.message;
        } finally {
            HG.$("rejected-recover-all").disabled = false;
        }
        load();
    };

    let wired = false;
    const wire = () => {
        if (wired) return;
        wired = true;
        for (const reason of reasons) addOption(HG.$("rejected-reason"), reason);
        HG.$("rejected-filter").addEventListener("submit", (submit) => {
            submit.preventDefault();
            cursors = [];
            go(readForm());
        });
        HG.$("rejected-reset").addEventListener("click", () => {
            cursors = [];
            fillForm({});
            go({});
        });
        HG.$("rejected-older").addEventListener("click", () => {
            if (!nextBefore) return;
            cursors.push(current.before || "");
            go(Object.assign(filtersOf(current), { before: String(nextBefore) }));
        });
        HG.$("rejected-newer").addEventListener("click", () => {
            const before = cursors.pop();
            go(Object.assign(filtersOf(current), before ? { before } : {}));
        });
        HG.$("rejected-newest").addEventListener("click", () => {
            cursors = [];
            go(filtersOf(current));
        });
        HG.$("rejected-refresh").addEventListener("click", load);
        HG.$("rejected-recover-all").addEventListener("click", recoverAll);
    };

    HG.rejected = {
        /** Shows the list for the fragment's parameters (an object of strings). */
        show(params) {
            wire();
            const filters = filtersOf(params);
            // New filters start from the newest page again, and forget the last bulk answer.
            if (JSON.stringify(filters) !== JSON.stringify(filtersOf(current))) {
                cursors = [];
                HG.$("rejected-result").textContent = "";
            }
            if (!params.before) cursors = [];
            current = Object.assign(filters, params.before ? { before: params.before } : {});
            fillForm(current);
            loadProviders();
            load();
        },
    };
})();
