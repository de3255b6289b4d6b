// HookGate console: a small line chart drawn as SVG elements (no library, no markup strings).
"use strict";

(function () {
    const HG = window.HG;
    const ns = "http://www.w3.org/2000/svg";
    const width = 600;
    const height = 170;
    const plot = { left: 46, right: 10, top: 10, bottom: 24 };

    const svgElement = (tag, attributes, text) => {
        const node = document.createElementNS(ns, tag);
        for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
        if (text !== undefined) node.textContent = text;
        return node;
    };

    /** A round number at or above `value` (1, 2 or 5 times a power of ten). */
    const niceCeiling = (value) => {
        if (!(value > 0)) return 1;
        const power = Math.pow(10, Math.floor(Math.log10(value)));
        for (const step of [1, 2, 5, 10]) {
            if (step * power >= value) return step * power;
        }
        return 10 * power;
    };

    const label = (value) => (value >= 100 || Number.isInteger(value) ? HG.formatNumber(value, 0) : HG.formatNumber(value, 1));

    /**
     * Draws `series` ([{name, points: [[timeMs, value], ...]}]) over the last `windowMs`
     * ending at `now`, with a legend (as text) in `legend`.
     */
    HG.drawChart = (svg, legend, series, options) => {
        const windowMs = (options && options.windowMs) || 10 * 60 * 1000;
        const now = (options && options.now) || Date.now();
        const start = now - windowMs;
        HG.clear(svg);
        svg.setAttribute("viewBox", "0 0 " + width + " " + height);
        let maximum = 0;
        for (const line of series) {
            for (const [time, value] of line.points) if (time >= start && value > maximum) maximum = value;
        }
        const top = niceCeiling(maximum);
        const innerWidth = width - plot.left - plot.right;
        const innerHeight = height - plot.top - plot.bottom;
        const x = (time) => plot.left + ((time - start) / windowMs) * innerWidth;
        const y = (value) => plot.top + innerHeight - (value / top) * innerHeight;

        for (const fraction of [0, 0.5, 1]) {
            const value = top * fraction;
            svg.appendChild(svgElement("line", {
                class: fraction === 0 ? "axis" : "gridline", x1: plot.left, x2: width - plot.right, y1: y(value), y2: y(value),
            }));
            svg.appendChild(svgElement("text", { class: "label", x: plot.left - 6, y: y(value) + 4, "text-anchor": "end" }, label(value)));
        }
        const ago = (ms) => (ms >= 60000 && ms % 60000 === 0 ? "−" + ms / 60000 + " min" : "−" + Math.round(ms / 1000) + " s");
        for (const [fraction, text] of [[0, ago(windowMs)], [0.5, ago(windowMs / 2)], [1, "now"]]) {
            const anchor = fraction === 0 ? "start" : fraction === 1 ? "end" : "middle";
            svg.appendChild(svgElement("text", { class: "label", x: plot.left + fraction * innerWidth, y: height - 6, "text-anchor": anchor }, text));
        }
        series.forEach((line, index) => {
            const points = line.points.filter(([time]) => time >= start).map(([time, value]) => x(time).toFixed(1) + "," + y(value).toFixed(1));
            if (points.length === 1) points.push(points[0]);
            if (points.length) svg.appendChild(svgElement("polyline", { class: "series-" + index, points: points.join(" ") }));
        });
        if (legend) {
            HG.clear(legend);
            series.forEach((line, index) => {
                const last = line.points.length ? line.points[line.points.length - 1][1] : undefined;
                legend.appendChild(HG.el("span", { class: "series-" + index }, line.name + (last === undefined ? "" : ": " + label(last))));
            });
        }
    };
})();
