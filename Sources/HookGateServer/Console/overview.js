// HookGate console: the overview. Polls /stats every 2 s, keeps 10 minutes of samples in
// memory, derives rates from the deltas, and draws the last minutes as charts.
"use strict";

(function () {
    const HG = window.HG;
    const intervalMs = 2000;
    const keepMs = 10 * 60 * 1000;
    const rateWindowMs = 10 * 1000;
    let samples = [];
    let timer = null;
    let running = false;

    const sum = (object) => Object.values(object || {}).reduce((total, value) => total + (typeof value === "number" ? value : 0), 0);
    const totals = (stats) => {
        const result = { received: 0, accepted: 0, duplicates: 0, rejected: 0 };
        for (const figures of Object.values(stats.providers || {})) {
            result.received += figures.received || 0;
            result.accepted += figures.accepted || 0;
            result.duplicates += figures.duplicates || 0;
            result.rejected += sum(figures.rejected);
        }
        return result;
    };
    const waiting = (stats) => {
        const d = stats.deliveries || {};
        return (d.pending || 0) + (d.retrying || 0) + (d.in_flight || 0);
    };

    /** The sample to compute rates against: the newest one at least `rateWindowMs` old, else the oldest. */
    const baseline = (now) => {
        for (let index = samples.length - 2; index >= 0; index--) {
            if (now - samples[index].time >= rateWindowMs) return samples[index];
        }
        return samples.length > 1 ? samples[0] : null;
    };

    const rate = (current, previous, pick) => {
        if (!previous) return undefined;
        const seconds = (current.time - previous.time) / 1000;
        return seconds > 0 ? Math.max(0, (pick(current.stats) - pick(previous.stats)) / seconds) : undefined;
    };

    const record = (stats) => {
        const now = Date.now();
        const last = samples[samples.length - 1];
        // A restarted gate starts its counters again: old deltas would be negative.
        if (last && (stats.uptime_seconds < last.stats.uptime_seconds || totals(stats).received < totals(last.stats).received)) samples = [];
        samples.push({ time: now, stats });
        while (samples.length && now - samples[0].time > keepMs) samples.shift();
    };

    const renderProviders = (current, previous) => {
        const body = HG.$("ov-providers").tBodies[0];
        HG.clear(body);
        const names = Object.keys(current.stats.providers || {}).sort();
        for (const name of names) {
            const figures = current.stats.providers[name];
            const pick = (field) => (stats) => {
                const p = (stats.providers || {})[name] || {};
                return field === "rejected" ? sum(p.rejected) : p[field] || 0;
            };
            const codes = Object.entries(figures.rejected || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
            const rejections = codes.length ? codes.map(([code, n]) => code + " " + n).join(", ") : "–";
            const row = HG.el("tr", null,
                HG.el("td", null, name),
                HG.el("td", { class: "num" }, HG.formatNumber(figures.received)),
                HG.el("td", { class: "num" }, HG.formatNumber(figures.accepted)),
                HG.el("td", { class: "num" }, HG.formatNumber(figures.duplicates)),
                HG.el("td", { class: "num" }, HG.formatNumber(sum(figures.rejected))),
                HG.el("td", { class: "wrap" }, rejections),
                HG.el("td", { class: "num" }, HG.formatNumber(rate(current, previous, pick("received")), 1)),
                HG.el("td", { class: "num" }, HG.formatNumber(rate(current, previous, pick("accepted")), 1)),
                HG.el("td", { class: "num" }, HG.formatNumber(rate(current, previous, pick("duplicates")), 1)),
                HG.el("td", { class: "num" }, HG.formatNumber(rate(current, previous, pick("rejected")), 1)));
            body.appendChild(row);
        }
    };

    const renderCards = (stats) => {
        const d = stats.deliveries || {};
        HG.fillList(HG.$("ov-deliveries"), [
            ["Pending", HG.formatNumber(d.pending)],
            ["Retrying", HG.formatNumber(d.retrying)],
            ["In flight", HG.formatNumber(d.in_flight)],
            ["Delivered", HG.formatNumber(d.delivered)],
            ["Dead", HG.formatNumber(d.dead)],
            ["Oldest pending", HG.formatSeconds(d.oldest_pending_seconds)],
        ]);
        const l = stats.intake_latency_ms || {};
        HG.fillList(HG.$("ov-latency"), [
            ["p50", HG.formatNumber(l.p50, 2) + " ms"],
            ["p90", HG.formatNumber(l.p90, 2) + " ms"],
            ["p99", HG.formatNumber(l.p99, 2) + " ms"],
            ["Max", HG.formatNumber(l.max, 2) + " ms"],
            ["Window", HG.formatNumber(l.window) + " requests"],
        ]);
        const k = stats.keys || {};
        HG.fillList(HG.$("ov-keys"), [
            ["Cached keys", HG.formatNumber(k.cached)],
            ["Fetches", HG.formatNumber(k.fetches)],
            ["Fetch failures", HG.formatNumber(k.fetch_failures)],
            ["Negative-cache hits", HG.formatNumber(k.negative_hits)],
            ["Rate-limited", HG.formatNumber(k.rate_limited)],
        ]);
        const s = stats.store || {};
        HG.fillList(HG.$("ov-store"), [
            ["Events", HG.formatNumber(s.events)],
            ["Size", HG.formatBytes(s.bytes)],
        ]);
        const q = stats.quarantine;
        if (!q) {
            HG.fillList(HG.$("ov-quarantine"), [["Quarantine", "not reported by this gate"]]);
        } else {
            const dropped = Object.entries(q.dropped || {}).filter(([, n]) => n > 0).map(([cause, n]) => cause + " " + n);
            HG.fillList(HG.$("ov-quarantine"), [
                ["Enabled", q.enabled ? "yes" : "no (quarantine.enabled: false)"],
                ["Kept requests", HG.formatNumber(q.requests)],
                ["Size", HG.formatBytes(q.bytes) + " of " + HG.formatBytes(q.max_bytes)],
                ["Dropped", dropped.length ? dropped.join(", ") : "none"],
            ]);
        }
    };

    /**
     * The gate's warnings (`/stats` "warnings", e.g. "plaid: 96 % refused in the last hour (48 of 50);
     * see GET /rejected"), each as text, with a link to that provider's rejected requests when the
     * warning starts with the name of a configured provider.
     */
    let shownWarnings = null;
    const renderWarnings = (stats) => {
        const warnings = Array.isArray(stats.warnings) ? stats.warnings.filter((warning) => typeof warning === "string") : [];
        const providers = Object.keys(stats.providers || {});
        // Drawn again only when they change: the banner is an alert, announced when it changes.
        const key = JSON.stringify([warnings, providers]);
        if (key === shownWarnings) return;
        shownWarnings = key;
        const list = HG.clear(HG.$("ov-warnings-list"));
        for (const warning of warnings) {
            const item = HG.el("li", null, warning);
            const name = warning.split(":", 1)[0];
            if (name !== warning && providers.includes(name)) {
                HG.append(item, " ", HG.el("a", { href: "#/rejected" + HG.query({ provider: name }) }, "Show " + name + "'s rejected requests"));
            }
            list.appendChild(item);
        }
        HG.$("ov-warnings").hidden = warnings.length === 0;
    };

    const renderCharts = () => {
        const intake = [[], [], []];
        const deliveries = [[], []];
        for (let index = 0; index < samples.length; index++) {
            const sample = samples[index];
            deliveries[0].push([sample.time, waiting(sample.stats)]);
            deliveries[1].push([sample.time, (sample.stats.deliveries || {}).dead || 0]);
            if (index === 0) continue;
            const previous = samples[index - 1];
            intake[0].push([sample.time, rate(sample, previous, (s) => totals(s).received)]);
            intake[1].push([sample.time, rate(sample, previous, (s) => totals(s).rejected)]);
            intake[2].push([sample.time, rate(sample, previous, (s) => totals(s).accepted)]);
        }
        const now = Date.now();
        // The window grows with the history, from one minute up to ten.
        const span = samples.length ? now - samples[0].time : 0;
        const windowMs = Math.min(keepMs, Math.max(60000, Math.ceil(span / 60000) * 60000));
        HG.drawChart(HG.$("chart-intake"), HG.$("chart-intake-legend"), [
            { name: "received/s", points: intake[0] }, { name: "rejected/s", points: intake[1] }, { name: "accepted/s", points: intake[2] },
        ], { now, windowMs });
        HG.drawChart(HG.$("chart-deliveries"), HG.$("chart-deliveries-legend"), [
            { name: "waiting", points: deliveries[0] }, { name: "dead", points: deliveries[1] },
        ], { now, windowMs });
    };

    const render = () => {
        const current = samples[samples.length - 1];
        if (!current) return;
        const stats = current.stats;
        HG.$("gate-version").textContent = "HookGate " + stats.version;
        HG.$("ov-meta").textContent = "Version " + stats.version + ", up " + HG.formatSeconds(stats.uptime_seconds)
            + ". Updated " + HG.formatTime(current.time) + ", every 2 s.";
        renderProviders(current, baseline(current.time));
        renderWarnings(stats);
        renderCards(stats);
        renderCharts();
    };

    const poll = async () => {
        timer = null;
        if (!running) return;
        try {
            record(await HG.get("/stats"));
            HG.showBanner(null);
            if (!HG.$("view-overview").hidden) render();
        } catch (error) {
            if (error.status === 401) return;
            HG.showBanner("Live figures: " + error.message);
        }
        if (running) timer = setTimeout(poll, intervalMs);
    };

    HG.overview = {
        /** Starts polling (also while other views show, so the charts have history). */
        start() {
            if (running) return;
            running = true;
            poll();
        },
        stop() {
            running = false;
            if (timer) clearTimeout(timer);
            timer = null;
        },
        show() {
            render();
        },
    };
})();
