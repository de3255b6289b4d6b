#!/usr/bin/env python3
"""The README's quick start, run as written against a real gate.

    python3 Tests/Suites/quickstart.py --binary .build/debug/hookgate [--keep] [--verbose]

Reads README.md, takes the fenced blocks of its "## Quick start" section and runs
them: the first `sh` block (the gate, sign, two curls, verify), the second `sh` block
(replay twice) and the plain block after it (replay's sample output).

The only changes made to the commands: `swift run hookgate` and `swift run -q hookgate`
become the binary given with --binary, and the gate's addresses (127.0.0.1:8080 and
127.0.0.1:9091) become the free loopback ports this suite started the gate on (a
replay without --to gets --to with that port). The gate itself (the block's
`hookgate serve` line) is started here on the embedded defaults, moved to those ports
and a temporary database with serve's own --port, --admin-port and --database. The other commands run in one bash
session in the repository's root, as a user would type them.

Checks:
  a. the quick start has the blocks described above, and `serve --check` accepts the
     embedded defaults the `serve` line runs on;
  b. every command of the first block exits 0, but for a verify whose documented
     verdict is REJECTED, which exits 1;
  c. every command's output shows the documented output lines (the `# ...` lines right
     under it), in order; `…` stands for any text, a line of `…` alone for any lines:
     accepted, then duplicate, then verify's header, claims and verdict;
  d. the first replay exits 0 and prints the documented table exactly (the timing of
     its last line aside); the second exits 0 and answers duplicate to every request.

One line per check ("ok  " or "FAIL", name, detail); the last line is
"quickstart: N passed, M failed". Exit status 0 only when every check passed.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))

from console_support import Gate  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
README = os.path.join(ROOT, "README.md")
DOCUMENTED_PUBLIC = "127.0.0.1:8080"
DOCUMENTED_ADMIN = "127.0.0.1:9091"
MARKER = "@@quickstart-step"
ELLIPSIS = "…"


class Checks:
    def __init__(self, verbose):
        self.verbose = verbose
        self.passed = 0
        self.failed = 0

    def report(self, name, ok, detail):
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


# The README

def quick_start_blocks(text):
    """The fenced blocks of the "## Quick start" section: a list of (language, lines)."""
    start = text.find("\n## Quick start\n")
    if start < 0:
        raise AssertionError("README.md has no '## Quick start' section")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end >= 0 else len(text)]
    blocks = []
    for match in re.finditer(r"^```([a-z]*)\n(.*?)^```$", section, re.M | re.S):
        blocks.append((match.group(1), match.group(2).splitlines()))
    return blocks


def strip_comment(line):
    """The line without a trailing `# comment` (a `#` outside quotes, after white space)."""
    quote = None
    for index, character in enumerate(line):
        if quote:
            if character == quote:
                quote = None
        elif character in "'\"":
            quote = character
        elif character == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index].rstrip(), line[index + 1:].strip()
    return line.rstrip(), ""


class Step:
    def __init__(self, command, note):
        self.command = command      # as written in the README, comment removed
        self.note = note            # its trailing comment
        self.expected = []          # the documented output: the `# ` lines right under it


def steps_of(lines):
    """The commands of an `sh` block with their documented outputs."""
    steps = []
    current = None
    for line in lines:
        if not line.strip():
            current = None
        elif line.lstrip().startswith("#"):
            if current is not None:
                current.expected.append(line.lstrip()[1:].strip())
        else:
            command, note = strip_comment(line)
            current = Step(command, note)
            steps.append(current)
    return steps


def substitute(command, binary, public_port, admin_port):
    """The command as this suite runs it: the binary for `swift run`, the gate's real ports."""
    quoted = shlex.quote(binary)
    command = re.sub(r"\bswift run (-q )?hookgate\b", lambda _: quoted, command)
    command = command.replace(DOCUMENTED_PUBLIC, f"127.0.0.1:{public_port}")
    command = command.replace(DOCUMENTED_ADMIN, f"127.0.0.1:{admin_port}")
    if re.search(r"\breplay\b", command) and "--to" not in command:
        command += f" --to http://127.0.0.1:{public_port}"
    return command


def line_pattern(expected):
    """A regular expression for one documented output line; `…` is any text."""
    return re.compile("^" + ".*".join(re.escape(part) for part in expected.split(ELLIPSIS)) + "$")


def shows(output_lines, expected_lines):
    """None when the documented lines appear in order in the output, else what is missing."""
    position = 0
    for expected in expected_lines:
        if expected == ELLIPSIS:
            continue
        pattern = line_pattern(expected)
        while position < len(output_lines) and not pattern.match(output_lines[position].rstrip()):
            position += 1
        if position == len(output_lines):
            return expected
        position += 1
    return None


# The gate

def gate_for(binary, directory, argv):
    """The README's `hookgate serve` (the embedded defaults) on free ports and a temporary database,
    moved there with serve's own flags."""
    def command(public_port, admin_port):
        return argv + ["--port", str(public_port), "--admin-port", str(admin_port),
                       "--database", os.path.join(directory, "hookgate.sqlite")]
    return Gate(binary, directory, None, None, command=command, ready_seconds=60)


def run_in_bash(commands, directory):
    """Runs the commands in one bash session in the repository's root; each one's (status, output lines)."""
    script = ["exec 2>&1", f"cd {shlex.quote(ROOT)}"]
    for command in commands:
        script += [command, f'echo "{MARKER} $?"']
    path = os.path.join(directory, "steps.sh")
    with open(path, "w") as file:
        file.write("\n".join(script) + "\n")
    completed = subprocess.run(["bash", path], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=600)
    results = []
    lines = []
    for line in completed.stdout.decode("utf-8", "replace").splitlines():
        before, found, status = line.partition(MARKER + " ")
        if found:
            # Output without a final newline (curl's answer) ends on the marker's line.
            if before:
                lines.append(before)
            results.append((int(status), lines))
            lines = []
        else:
            lines.append(line)
    if len(results) != len(commands):
        raise AssertionError(f"bash stopped after {len(results)} of {len(commands)} commands: {lines[-20:]}")
    return results


# The checks

def check_first_block(checks, steps, binary, gate, directory, verbose):
    commands = [substitute(step.command, binary, gate.public_port, gate.admin_port) for step in steps]
    results = run_in_bash(commands, directory)
    for step, command, (status, output) in zip(steps, commands, results):
        rejected = any(line.startswith("verdict: REJECTED") for line in step.expected)
        wanted = 1 if rejected else 0
        name = step.command if len(step.command) <= 70 else step.command[:67] + "..."
        if verbose:
            print(f"     $ {command}\n" + "".join(f"     | {line}\n" for line in output), end="", flush=True)
        missing = shows(output, step.expected)
        if status != wanted:
            checks.report(name, False, f"exit status {status}, documented {wanted}; output: {output[-10:]}")
        elif missing is not None:
            checks.report(name, False, f"output does not show the documented line {missing!r}; output: {output[-10:]}")
        else:
            shown = f"shows {len(step.expected)} documented line(s)" if step.expected else "no output documented"
            checks.report(name, True, f"exit {status}, {shown}")


def table_rows(lines):
    """(provider, answer, count) rows of replay's table, from its header to the total."""
    rows = []
    inside = False
    for line in lines:
        fields = line.split()
        if fields[:3] == ["PROVIDER", "ANSWER", "COUNT"]:
            inside = True
        elif inside and fields and fields[0] == "total":
            rows.append(("total", "", int(fields[-1])))
            break
        elif inside and len(fields) == 3:
            rows.append((fields[0], fields[1], int(fields[2])))
    return rows


def check_replay(checks, steps, sample, binary, gate, directory):
    if len(steps) != 2:
        raise AssertionError(f"the replay block has {len(steps)} commands, expected 2")
    commands = [substitute(step.command, binary, gate.public_port, gate.admin_port) for step in steps]
    results = run_in_bash(commands, directory)

    # The first replay prints the documented sample: the table exactly, the timing line's shape.
    status, output = results[0]
    table = [line.rstrip() for line in sample[:-1]]
    documented = re.fullmatch(r"(\d+) requests in [0-9.]+ s \([0-9]+/s\) to (\S+)", sample[-1].strip())
    if documented is None:
        raise AssertionError(f"the sample's last line {sample[-1]!r} is not replay's 'N requests in S s (R/s) to URL'")
    url = documented.group(2).replace(DOCUMENTED_PUBLIC, f"127.0.0.1:{gate.public_port}")
    summary = documented.group(1) + r" requests in [0-9.]+ s \([0-9]+/s\) to " + re.escape(url)
    start = next((index for index, line in enumerate(output) if line.split()[:3] == ["PROVIDER", "ANSWER", "COUNT"]), None)
    printed = [line.rstrip() for line in output[start:start + len(table)]] if start is not None else []
    last = output[start + len(table)].rstrip() if start is not None and start + len(table) < len(output) else ""
    if status != 0:
        checks.report(steps[0].command, False, f"exit status {status}; output: {output[-12:]}")
    elif printed != table:
        checks.report(steps[0].command, False, f"table {printed} is not the documented {table}")
    elif not re.fullmatch(summary, last):
        checks.report(steps[0].command, False, f"last line {last!r} is not like the documented {sample[-1]!r}")
    else:
        checks.report(steps[0].command, True, f"exit 0, the documented table ({table_rows(table)[-1][2]} requests)")

    # The second answers duplicate to every request.
    status, output = results[1]
    rows = table_rows(output)
    answers = {answer for provider, answer, count in rows if provider != "total"}
    total = rows[-1][2] if rows else 0
    documented_total = table_rows(table)[-1][2] if table_rows(table) else -1
    if status != 0:
        checks.report(steps[1].command, False, f"exit status {status}; output: {output[-12:]}")
    elif answers != {"duplicate"} or total != documented_total:
        checks.report(steps[1].command, False, f"answers {sorted(answers)} over {total} requests; documented: duplicate, {documented_total}")
    else:
        checks.report(steps[1].command, True, f"exit 0, {total} duplicates")


def suite(args, checks):
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise AssertionError(f"{binary} is not an executable (build it first: swift build)")
    with open(README, encoding="utf-8") as file:
        blocks = quick_start_blocks(file.read())
    shell = [lines for language, lines in blocks if language == "sh"]
    plain = [index for index, (language, _) in enumerate(blocks) if language == ""]
    if len(shell) < 2 or not plain:
        raise AssertionError(f"the quick start has {len(shell)} sh block(s) and {len(plain)} plain one(s); expected 2 and 1")
    first = steps_of(shell[0])
    serve = [step for step in first if re.search(r"\bhookgate serve\b", step.command)]
    if len(serve) != 1:
        raise AssertionError(f"the first block starts the gate {len(serve)} times, expected once")
    replay = steps_of(shell[1])
    sample = [line for line in blocks[plain[0]][1] if line.strip()]

    serve_argv = shlex.split(substitute(serve[0].command, binary, 0, 0))
    directory = tempfile.mkdtemp(prefix="hookgate-quickstart-")
    # The embedded defaults the documented `serve` runs on: valid (checked in the temporary folder, touching nothing here).
    check = subprocess.run(serve_argv + ["--check"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=directory, timeout=60)
    checks.report("structure", check.returncode == 0,
                  f"{len(first)} + {len(replay)} commands, a {len(sample)}-line sample; "
                  f"`{serve[0].command} --check`: exit {check.returncode}, {check.stdout.decode(errors='replace').strip()[-200:]}")

    gate = gate_for(binary, directory, serve_argv)
    try:
        gate.start()
        check_first_block(checks, [step for step in first if step not in serve], binary, gate, directory, args.verbose)
        check_replay(checks, replay, sample, binary, gate, directory)
    except Exception:
        checks.report("gate", False, f"{traceback.format_exc().strip().splitlines()[-1]}; gate log: {gate.log_text()[-1500:]}")
    finally:
        gate.stop()
        if args.keep:
            print(f"kept {directory}", flush=True)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the hookgate executable, e.g. .build/debug/hookgate")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (configuration, database, gate log)")
    parser.add_argument("--verbose", action="store_true", help="print every command as run and its output")
    args = parser.parse_args()
    checks = Checks(args.verbose)
    try:
        suite(args, checks)
    except Exception as error:  # noqa: BLE001 - any failure is a failed check, reported
        checks.report("quickstart", False, str(error) if isinstance(error, AssertionError) else traceback.format_exc())
    print(f"quickstart: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
