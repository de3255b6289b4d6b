// HookGate console: the events list. Filters live in the address's fragment
// (#/events?provider=…), so the browser's back button and bookmarks work; the token never does.
"use strict";

(function () {
    const HG = window.HG;
    const filterNames = ["provider", "event_type", "status", "handler", "since", "until", "limit"];
    let cursors = [];      // the `before` of each newer page, for "← Newer"
    let current = {};      // the filters and cursor shown
    let nextBefore = null; // the cursor of the next older page

    const { toLocalInput, fromLocalInput } = HG;

    const readForm = () => ({
        provider: HG.$("filter-provider").value,
        event_type: HG.$("filter-type").value.trim(),
        status: HG.$("filter-status").value,
        handler: HG.$("filter-handler").value.trim(),
        since: fromLocalInput(HG.$("filter-since").value),
        until: fromLocalInput(HG.$("filter-until").value),
        limit: HG.$("filter-limit").value === "50" ? "" : HG.$("filter-limit").value,
    });

    /** Adds `name` to the provider choices when missing (text, never markup). */
    const addProviderOption = (name) => {
        const select = HG.$("filter-provider");
        if (!name || Array.from(select.options).some((option) => option.value === name)) return;
        select.appendChild(HG.el("option", null, name));
    };

    /** The configured providers come from /stats: the choices follow the gate's configuration. */
    const loadProviders = async () => {
        try {
            const stats = await HG.get("/stats");
            for (const name of Object.keys(stats.providers || {}).sort()) addProviderOption(name);
            HG.$("filter-provider").value = current.provider || "";
        } catch (error) {
            // The list still works with the choices it has; the overview shows the error.
        }
    };

    const fillForm = (params) => {
        addProviderOption(params.provider);
        HG.$("filter-provider").value = params.provider || "";
        HG.$("filter-type").value = params.event_type || "";
        HG.$("filter-status").value = params.status || "";
        HG.$("filter-handler").value = params.handler || "";
        HG.$("filter-since").value = params.since ? toLocalInput(params.since) : "";
        HG.$("filter-until").value = params.until ? toLocalInput(params.until) : "";
        HG.$("filter-limit").value = ["25", "50", "100"].includes(params.limit) ? params.limit : "50";
    };

    const filtersOf = (params) => {
        const filters = {};
        for (const name of filterNames) if (params[name]) filters[name] = params[name];
        return filters;
    };

    const go = (params) => {
        location.hash = "#/events" + HG.query(params);
    };

    const deliveryBadges = (deliveries) => {
        if (!deliveries.length) return HG.el("span", { class: "muted" }, "no handler");
        const cell = document.createDocumentFragment();
        for (const delivery of deliveries) {
            cell.appendChild(HG.badge(delivery.status, delivery.handler + ": " + delivery.status + " (" + delivery.attempts + ")"));
        }
        return cell;
    };

    const renderRows = (events) => {
        const body = HG.$("events-table").tBodies[0];
        HG.clear(body);
        for (const event of events) {
            const link = HG.el("a", { href: "#/event/" + encodeURIComponent(String(event.id)) }, event.event_id);
            const row = HG.el("tr", { class: "link", dataset: { row: String(event.id) } },
                HG.el("td", { class: "num" }, String(event.id)),
                HG.el("td", null, HG.formatTime(event.received_at)),
                HG.el("td", null, event.provider),
                HG.el("td", { class: "wrap event-type" }, event.event_type),
                HG.el("td", { class: "id" }, link),
                HG.el("td", null, deliveryBadges(event.deliveries || [])));
            row.addEventListener("click", (click) => {
                if (click.target.closest("a")) return;
                location.hash = "#/event/" + encodeURIComponent(String(event.id));
            });
            body.appendChild(row);
        }
        HG.$("events-empty").hidden = events.length > 0;
    };

    const load = async () => {
        HG.$("events-error").textContent = "";
        const params = Object.assign({}, current);
        try {
            const answer = await HG.get("/events" + HG.query(params));
            nextBefore = answer.next_before || null;
            renderRows(answer.events || []);
        } catch (error) {
            if (error.status === 401) return;
            nextBefore = null;
            renderRows([]);
            HG.$("events-empty").hidden = true;
            HG.$("events-error").textContent = "Could not list events: " + error.message;
        }
        HG.$("events-older").disabled = !nextBefore;
        HG.$("events-newer").disabled = cursors.length === 0;
        HG.$("events-newest").disabled = !current.before;
        HG.$("events-page").textContent = "Page " + (cursors.length + 1);
    };

    let wired = false;
    const wire = () => {
        if (wired) return;
        wired = true;
        HG.$("events-filter").addEventListener("submit", (submit) => {
            submit.preventDefault();
            cursors = [];
            go(readForm());
        });
        HG.$("filter-reset").addEventListener("click", () => {
            cursors = [];
            fillForm({});
            go({});
        });
        HG.$("events-older").addEventListener("click", () => {
            if (!nextBefore) return;
            cursors.push(current.before || "");
            go(Object.assign(filtersOf(current), { before: String(nextBefore) }));
        });
        HG.$("events-newer").addEventListener("click", () => {
            const before = cursors.pop();
            go(Object.assign(filtersOf(current), before ? { before } : {}));
        });
        HG.$("events-newest").addEventListener("click", () => {
            cursors = [];
            go(filtersOf(current));
        });
    };

    HG.events = {
        /** Shows the list for the fragment's parameters (an object of strings). */
        show(params) {
            wire();
            const filters = filtersOf(params);
            // New filters start from the newest page again.
            if (JSON.stringify(filters) !== JSON.stringify(filtersOf(current))) cursors = [];
            if (!params.before) cursors = [];
            current = Object.assign(filters, params.before ? { before: params.before } : {});
            fillForm(current);
            loadProviders();
            load();
        },
    };
})();
