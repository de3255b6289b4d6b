// HookGate console: the admin API client and DOM helpers shared by every view.
// Safety: nothing here ever parses text as HTML. Values from senders (bodies, types,
// ids, headers) reach the page only through textContent and createElement.
"use strict";

(function () {
    const HG = (window.HG = {});
    const tokenKey = "hookgate.console.token";

    /**
     * An answer other than 2xx from the admin API: `status`, `code` (the answer's `error`,
     * a stable code such as `not_found`) and `message` (the answer's explanation, else the code).
     */
    class APIError extends Error {
        constructor(status, message, code) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }
    HG.APIError = APIError;

    // The token lives in this tab's sessionStorage only: never a cookie, never a URL.
    HG.token = () => sessionStorage.getItem(tokenKey);
    HG.setToken = (token) => sessionStorage.setItem(tokenKey, token);
    HG.forgetToken = () => sessionStorage.removeItem(tokenKey);

    /** Called when the gate answers 401; console.js replaces it. */
    HG.onUnauthorized = () => {};

    /** Builds a query string from an object, leaving out empty values. */
    HG.query = (params) => {
        const parts = [];
        for (const [name, value] of Object.entries(params || {})) {
            if (value === undefined || value === null || value === "") continue;
            parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
        }
        return parts.length ? "?" + parts.join("&") : "";
    };

    /**
     * Calls the admin API and returns the decoded JSON answer.
     * `token` overrides the stored token (the sign-in form checks a token before keeping it);
     * `body`, when given, is sent as JSON.
     */
    HG.api = async (method, path, token, body) => {
        const headers = { Accept: "application/json" };
        const bearer = token === undefined ? HG.token() : token;
        if (bearer) headers.Authorization = "Bearer " + bearer;
        const request = { method, headers, cache: "no-store", credentials: "omit", redirect: "error" };
        if (body !== undefined) {
            headers["Content-Type"] = "application/json";
            request.body = JSON.stringify(body);
        }
        let response;
        try {
            response = await fetch(path, request);
        } catch (error) {
            throw new APIError(0, "the gate did not answer (" + error.message + ")");
        }
        let answer = null;
        try {
            answer = await response.json();
        } catch (_) {
            answer = null;
        }
        if (response.status === 401) {
            if (token === undefined) HG.onUnauthorized();
            throw new APIError(401, "unauthorized");
        }
        if (!response.ok) {
            // Admin errors are {"error":"<code>","message":"<explanation>"}; the message is for people.
            const code = answer && typeof answer.error === "string" ? answer.error : undefined;
            const explanation = answer && typeof answer.message === "string" ? answer.message : undefined;
            throw new APIError(response.status, explanation || code || "HTTP " + response.status, code);
        }
        return answer;
    };
    HG.get = (path) => HG.api("GET", path);
    /** POSTs to the admin API; `body` (optional) is sent as JSON. */
    HG.post = (path, body) => HG.api("POST", path, undefined, body);

    /**
     * Creates an element. `attributes` may hold class, id, href (internal `#/` links only),
     * title, type, and dataset entries; children are nodes or text (always as text).
     */
    HG.el = (tag, attributes, ...children) => {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes || {})) {
            if (value === undefined || value === null) continue;
            if (name === "class") node.className = value;
            else if (name === "href") node.setAttribute("href", String(value).startsWith("#/") ? value : "#/");
            else if (name === "dataset") Object.assign(node.dataset, value);
            else if (["id", "title", "type", "colspan"].includes(name)) node.setAttribute(name, String(value));
            else throw new Error("HG.el: attribute " + name + " is not allowed");
        }
        HG.append(node, ...children);
        return node;
    };

    /** Appends nodes, and anything else as a text node. */
    HG.append = (node, ...children) => {
        for (const child of children) {
            if (child === undefined || child === null) continue;
            node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
        }
        return node;
    };

    /** Removes every child. */
    HG.clear = (node) => {
        while (node.firstChild) node.removeChild(node.firstChild);
        return node;
    };

    HG.$ = (id) => document.getElementById(id);

    /** Fills a <dl> with [term, value] pairs (values as text). */
    HG.fillList = (dl, pairs) => {
        HG.clear(dl);
        for (const [term, value] of pairs) {
            dl.appendChild(HG.el("dt", null, term));
            dl.appendChild(HG.el("dd", null, value));
        }
    };

    /** A delivery state as a coloured badge, e.g. "backend: dead (5)". */
    HG.badge = (state, label) => HG.el("span", { class: "badge " + String(state).replace(/[^a-z_]/g, "") }, label || state);

    HG.formatTime = (ms) => {
        if (typeof ms !== "number") return "";
        const date = new Date(ms);
        const pad = (n, w = 2) => String(n).padStart(w, "0");
        return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " + pad(date.getHours()) + ":"
            + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + "." + pad(date.getMilliseconds(), 3);
    };

    /** Unix ms (a number or its text) as the value of an `<input type="datetime-local">`, or "". */
    HG.toLocalInput = (ms) => {
        const date = new Date(Number(ms));
        if (isNaN(date.getTime())) return "";
        const pad = (n) => String(n).padStart(2, "0");
        return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" + pad(date.getHours()) + ":"
            + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
    };

    /** The value of an `<input type="datetime-local">` as Unix ms text, or "". */
    HG.fromLocalInput = (value) => {
        if (!value) return "";
        const time = new Date(value).getTime();
        return isNaN(time) ? "" : String(time);
    };

    HG.formatNumber = (value, digits = 0) =>
        typeof value === "number" && isFinite(value)
            ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
            : "–";

    HG.formatBytes = (bytes) => {
        if (typeof bytes !== "number") return "–";
        const units = ["B", "KiB", "MiB", "GiB", "TiB"];
        let value = bytes;
        let unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit += 1;
        }
        return HG.formatNumber(value, unit === 0 ? 0 : 1) + " " + units[unit];
    };

    HG.formatSeconds = (seconds) => {
        if (typeof seconds !== "number") return "–";
        if (seconds < 60) return HG.formatNumber(seconds, 1) + " s";
        if (seconds < 3600) return Math.floor(seconds / 60) + " min " + Math.floor(seconds % 60) + " s";
        if (seconds < 86400) return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
        return Math.floor(seconds / 86400) + " d " + Math.floor((seconds % 86400) / 3600) + " h";
    };

    /** A delivery's terminal states: the console stops following it there. */
    HG.settled = (state) => state === "delivered" || state === "dead";

    /** Asks for confirmation in the page's own dialog; resolves true or false. */
    HG.confirm = (text, okLabel) =>
        new Promise((resolve) => {
            const dialog = HG.$("confirm");
            const ok = HG.$("confirm-ok");
            const cancel = HG.$("confirm-cancel");
            HG.$("confirm-text").textContent = text;
            ok.textContent = okLabel || "Redeliver";
            const finish = (answer) => {
                ok.removeEventListener("click", onOK);
                cancel.removeEventListener("click", onCancel);
                dialog.removeEventListener("cancel", onCancel);
                if (dialog.open) dialog.close();
                resolve(answer);
            };
            const onOK = () => finish(true);
            const onCancel = () => finish(false);
            ok.addEventListener("click", onOK);
            cancel.addEventListener("click", onCancel);
            dialog.addEventListener("cancel", onCancel);
            dialog.showModal();
            ok.focus();
        });
})();
