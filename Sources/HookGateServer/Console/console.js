// HookGate console: sign-in, navigation between views (the address's fragment), start-up.
"use strict";

(function () {
    const HG = window.HG;
    const views = ["loading", "signin", "overview", "events", "event", "dead", "rejected", "rejection"];
    let signedIn = false;
    let tokenRequired = false;

    HG.showBanner = (text) => {
        const banner = HG.$("banner");
        banner.textContent = text || "";
        banner.hidden = !text;
    };

    const showView = (name) => {
        for (const view of views) HG.$("view-" + view).hidden = view !== name;
        const parent = { event: "events", rejection: "rejected" };
        for (const link of ["overview", "events", "dead", "rejected"]) {
            HG.$("nav-" + link).classList.toggle("current", link === name || link === parent[name]);
        }
        if (name !== "event") HG.event.hide();
        if (name !== "dead") HG.dead.hide();
        if (name !== "rejection") HG.rejection.hide();
    };

    /** Parses `#/events?provider=plaid` into { path: ["events"], params: { provider: "plaid" } }. */
    const parseHash = () => {
        const hash = location.hash.replace(/^#\/?/, "");
        const [path, search] = hash.split("?", 2);
        const params = {};
        for (const part of (search || "").split("&")) {
            if (!part) continue;
            const [name, value] = part.split("=", 2);
            try {
                params[decodeURIComponent(name)] = decodeURIComponent(value || "");
            } catch (_) {
                // A malformed fragment: ignore that parameter.
            }
        }
        return { path: path.split("/").filter(Boolean), params };
    };

    const route = () => {
        if (!signedIn) return;
        const { path, params } = parseHash();
        switch (path[0]) {
        case "events":
            showView("events");
            HG.events.show(params);
            break;
        case "event":
            if (path[1] && /^[0-9]+$/.test(path[1])) {
                showView("event");
                HG.event.show(path[1]);
            } else {
                location.hash = "#/events";
            }
            break;
        case "dead":
            showView("dead");
            HG.dead.show();
            break;
        case "rejected":
            if (path[1] === undefined) {
                showView("rejected");
                HG.rejected.show(params);
            } else if (/^[0-9]+$/.test(path[1])) {
                showView("rejection");
                HG.rejection.show(path[1]);
            } else {
                location.hash = "#/rejected";
            }
            break;
        default:
            showView("overview");
            HG.overview.show();
        }
    };

    const enter = () => {
        signedIn = true;
        HG.$("nav").hidden = false;
        HG.$("sign-out").hidden = !tokenRequired;
        HG.showBanner(null);
        HG.overview.start();
        route();
    };

    const showSignIn = (message) => {
        signedIn = false;
        HG.overview.stop();
        HG.$("nav").hidden = true;
        HG.$("sign-out").hidden = true;
        HG.$("signin-error").textContent = message || "";
        showView("signin");
        HG.$("signin-token").focus();
    };

    HG.onUnauthorized = () => {
        if (!signedIn) return;
        HG.forgetToken();
        showSignIn("The gate refused the token; sign in again.");
    };

    /** Asks /stats whether this token (or none) is enough: true, false on 401, or throws. */
    const probe = async (token) => {
        try {
            await HG.api("GET", "/stats", token || null);
            return true;
        } catch (error) {
            if (error.status === 401) return false;
            throw error;
        }
    };

    const start = async () => {
        const stored = HG.token();
        try {
            if (await probe(stored)) {
                tokenRequired = Boolean(stored) && !(await probe(null));
                enter();
                return;
            }
            tokenRequired = true;
            if (stored) HG.forgetToken();
            showSignIn(stored ? "The saved token no longer works; sign in again." : "");
        } catch (error) {
            showView("loading");
            HG.showBanner("The gate did not answer: " + error.message + ". Retrying…");
            setTimeout(start, 3000);
        }
    };

    const signIn = async (submit) => {
        // The token must never become part of a URL: the form is never submitted by the browser.
        submit.preventDefault();
        const input = HG.$("signin-token");
        const token = input.value;
        HG.$("signin-error").textContent = "";
        if (!token) return;
        HG.$("signin-submit").disabled = true;
        try {
            if (await probe(token)) {
                HG.setToken(token);
                input.value = "";
                tokenRequired = true;
                enter();
            } else {
                HG.$("signin-error").textContent = "The gate refused this token.";
            }
        } catch (error) {
            HG.$("signin-error").textContent = "The gate did not answer: " + error.message;
        } finally {
            HG.$("signin-submit").disabled = false;
        }
    };

    document.addEventListener("DOMContentLoaded", () => {
        HG.$("signin-form").addEventListener("submit", signIn);
        HG.$("sign-out").addEventListener("click", () => {
            HG.forgetToken();
            showSignIn("Signed out.");
        });
        window.addEventListener("hashchange", route);
        start();
    });
})();
