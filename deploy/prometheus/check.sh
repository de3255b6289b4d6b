#!/usr/bin/env bash
# Checks HookGate's Prometheus alerting rules; exits non-zero on any failure.
#
#   1. promtool check rules: the file parses and every expression is valid PromQL;
#   2. promtool test rules: the unit tests in hookgate.rules.test.yml (input series, and the
#      alerts, labels and rendered annotations expected at given times) pass;
#   3. every alert has summary, description and runbook annotations, and each runbook
#      names a heading of docs/operations.md that exists (the anchor GitHub gives it).
#
# Needs promtool (Debian's `prometheus` package; Tests/run.sh installs it) and python3
# with PyYAML. Usage: bash deploy/prometheus/check.sh (from anywhere).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v promtool >/dev/null; then
    echo "check.sh: promtool not found (apt-get install prometheus)" >&2
    exit 1
fi

cd "$here"
promtool check rules hookgate.rules.yml
promtool test rules hookgate.rules.test.yml

python3 - "$here/hookgate.rules.yml" "$root/docs/operations.md" <<'EOF'
import re, sys
import yaml

rules_path, doc_path = sys.argv[1], sys.argv[2]
groups = yaml.safe_load(open(rules_path))["groups"]
anchors = set()
for line in open(doc_path, encoding="utf-8"):
    match = re.match(r"#{1,6} (.+)", line)
    if match:
        # GitHub's anchor: lower case, punctuation but hyphens and spaces dropped, spaces to hyphens.
        anchors.add(re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-"))
problems = []
count = 0
for group in groups:
    for rule in group["rules"]:
        if "alert" not in rule:
            continue
        count += 1
        name, annotations = rule["alert"], rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            if not annotations.get(key):
                problems.append(f"{name}: no {key} annotation")
        runbook = annotations.get("runbook", "")
        if runbook:
            page, _, anchor = runbook.partition("#")
            if page != "docs/operations.md" or not anchor:
                problems.append(f"{name}: runbook {runbook!r} is not docs/operations.md#<section>")
            elif anchor not in anchors:
                problems.append(f"{name}: runbook {runbook!r}: no such heading in docs/operations.md")
for problem in problems:
    print(f"  {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"Annotations: {count} alerts, each with summary, description and a runbook section that exists")
EOF
