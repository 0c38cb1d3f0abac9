"""Drives a running daemon with ops' pebble.Client, as a charm would.

Usage: python3 ops_client.py SOCKET
Prints "ok <check>" lines; exits non-zero on the first failure.
"""

import atexit
import datetime
import os
import shutil
import signal
import sys

import ops.pebble as pebble

socket_path = sys.argv[1]
client = pebble.Client(socket_path=socket_path)


def check(name, cond):
    if not cond:
        print(f"FAILED {name}", flush=True)
        sys.exit(1)
    print(f"ok {name}", flush=True)


info = client.get_system_info()
check("system-info version", bool(info.version))

layer = pebble.Layer({
    "summary": "charm layer",
    "services": {
        "web": {
            "override": "replace",
            "command": "/bin/sleep 1000",
            "startup": "disabled",
            "environment": {"PORT": "8080"},
        },
    },
    "checks": {
        "alive": {
            "override": "replace",
            "level": "alive",
            "period": "30s",
            "tcp": {"port": 8080},
        },
    },
})
client.add_layer("charm", layer)
plan = client.get_plan()
check("plan has service", "web" in plan.services)
check("plan service command", plan.services["web"].command == "/bin/sleep 1000")
check("plan service environment", plan.services["web"].environment == {"PORT": "8080"})
check("plan check level", plan.checks["alive"].level == pebble.CheckLevel.ALIVE)

client.add_layer("charm", {"services": {"web": {"override": "merge", "environment": {"X": "1"}}}},
                 combine=True)
plan = client.get_plan()
check("combined environment", plan.services["web"].environment == {"PORT": "8080", "X": "1"})

try:
    client.add_layer("charm", layer)
    check("duplicate label refused", False)
except pebble.APIError as e:
    check("duplicate label refused", e.code == 400 and "already exists" in e.message)

try:
    client.add_layer("broken", "services:\n  x:\n    override: sideways\n    command: y\n")
    check("broken layer refused", False)
except pebble.APIError as e:
    check("broken layer refused", e.code == 400)

changes = client.get_changes(select=pebble.ChangeState.ALL)
check("changes list", isinstance(changes, list))
try:
    client.get_change(pebble.ChangeID("424242"))
    check("missing change", False)
except pebble.APIError as e:
    check("missing change", e.code == 404)

notice_id = client.notify(pebble.NoticeType.CUSTOM, "example.com/charm", data={"a": "b"})
notice = client.get_notice(notice_id)
check("notice key", notice.key == "example.com/charm")
check("notice data", notice.last_data == {"a": "b"})
check("notice occurrences", notice.occurrences == 1)
client.notify(pebble.NoticeType.CUSTOM, "example.com/charm")
notices = client.get_notices(types=[pebble.NoticeType.CUSTOM])
check("notices list", [n.occurrences for n in notices] == [2])
check("notice times", isinstance(notices[0].last_repeated, datetime.datetime))
check("notices by key", len(client.get_notices(keys=["example.com/other"])) == 0)

# Files: push, pull, list_files, make_dir, remove_path (and pull of a multi-MiB file, which
# ops parses in one piece).
import tempfile
base = tempfile.mkdtemp(prefix="pebble-ops-")
atexit.register(shutil.rmtree, base, True)
client.push(f"{base}/conf/app.yaml", "port: 8080\n", make_dirs=True, permissions=0o600)
with client.pull(f"{base}/conf/app.yaml") as f:
    check("push/pull text", f.read() == "port: 8080\n")
blob = bytes(range(256)) * 4096
client.push(f"{base}/blob", blob)
with client.pull(f"{base}/blob", encoding=None) as f:
    check("push/pull bytes", f.read() == blob)
infos = client.list_files(f"{base}/conf")
check("list_files", [(i.name, i.type, i.size, i.permissions) for i in infos]
      == [("app.yaml", pebble.FileType.FILE, 11, 0o600)])
check("list_files itself", client.list_files(base, itself=True)[0].type == pebble.FileType.DIRECTORY)
check("list_files pattern", [i.name for i in client.list_files(base, pattern="b*")] == ["blob"])
client.make_dir(f"{base}/a/b", make_parents=True, permissions=0o700)
check("make_dir", client.list_files(f"{base}/a/b", itself=True)[0].permissions == 0o700)
try:
    client.make_dir(f"{base}/a/b")
    check("make_dir exists", False)
except pebble.PathError as e:
    check("make_dir exists", e.kind == "generic-file-error" and "file exists" in e.message)
try:
    client.pull(f"{base}/missing")
    check("pull missing", False)
except pebble.PathError as e:
    check("pull missing", e.kind == "not-found")
try:
    client.remove_path(f"{base}/a")
    check("remove non-empty", False)
except pebble.PathError as e:
    check("remove non-empty", "directory not empty" in e.message)
client.remove_path(f"{base}/a", recursive=True)
try:
    client.list_files(f"{base}/a")
    check("list removed", False)
except pebble.APIError as e:
    check("list removed", e.code == 404)
client.remove_path(base, recursive=True)

# Exec: output, stdin, exit codes, combined stderr, errors, signals, timeouts.
out, err = client.exec(["sh", "-c", "echo out; echo err >&2"]).wait_output()
check("exec wait_output", (out, err) == ("out\n", "err\n"))
out, _ = client.exec(["cat"], stdin="a\nb\n").wait_output()
check("exec stdin str", out == "a\nb\n")
out, _ = client.exec(["cat"], stdin=b"\x00\xff", encoding=None).wait_output()
check("exec stdin bytes", out == b"\x00\xff")
out, err = client.exec(["sh", "-c", "echo 1; echo 2 >&2"], combine_stderr=True).wait_output()
check("exec combine_stderr", sorted(out.split()) == ["1", "2"] and err is None)
proc = client.exec(["cat"])
proc.stdin.write("line\n")
proc.stdin.flush()
check("exec streaming", proc.stdout.readline() == "line\n")
proc.stdin.close()
proc.wait()
try:
    client.exec(["sh", "-c", "echo x; echo y >&2; exit 3"]).wait_output()
    check("ExecError", False)
except pebble.ExecError as e:
    check("ExecError", (e.exit_code, e.stdout, e.stderr) == (3, "x\n", "y\n"))
out, _ = client.exec(["sh", "-c", "echo $FOO; pwd"], environment={"FOO": "bar"},
                     working_dir="/tmp").wait_output()
check("exec env and working dir", out == "bar\n/tmp\n")
try:
    client.exec(["no-such-command"])
    check("exec not found", False)
except pebble.APIError as e:
    check("exec not found", e.code == 400 and 'cannot find executable "no-such-command"' in e.message)
try:
    client.exec(["true"], working_dir="/no/such/dir")
    check("exec bad working dir", False)
except pebble.APIError as e:
    check("exec bad working dir", e.code == 500 and "does not exist" in e.message)
try:
    client.exec(["true"], user="no-such-user")
    check("exec bad user", False)
except pebble.APIError as e:
    check("exec bad user", e.code == 400 and e.message == "user: unknown user no-such-user")
proc = client.exec(["sleep", "30"])
proc.send_signal("SIGTERM")
try:
    proc.wait()
    check("exec send_signal", False)
except pebble.ExecError as e:
    check("exec send_signal", e.exit_code == 128 + 15)
try:
    client.exec(["sleep", "30"], timeout=0.2).wait()
    check("exec timeout", False)
except pebble.ChangeError as e:
    check("exec timeout", "timed out after 200ms" in e.err)

# Health checks: get_checks, start_checks, stop_checks, and the change-update notices that
# Juju turns into pebble-check-failed / pebble-check-recovered events.
import time
flag_dir = tempfile.mkdtemp(prefix="pebble-ops-checks-")
atexit.register(shutil.rmtree, flag_dir, True)
flag = f"{flag_dir}/down"
client.add_layer("checks", {
    "checks": {
        "ops-flag": {
            "override": "replace",
            "level": "ready",
            "period": "100ms",
            "threshold": 2,
            "exec": {"command": f"test ! -e {flag}"},
        },
        "ops-manual": {
            "override": "replace",
            "startup": "disabled",
            "exec": {"command": "true"},
        },
    },
})
infos = {c.name: c for c in client.get_checks()}
check("get_checks", {"ops-flag", "ops-manual"} <= set(infos))
check("check info up", infos["ops-flag"].status == pebble.CheckStatus.UP
      and infos["ops-flag"].level == pebble.CheckLevel.READY
      and infos["ops-flag"].threshold == 2 and infos["ops-flag"].change_id)
check("check info inactive", infos["ops-manual"].status == pebble.CheckStatus.INACTIVE
      and infos["ops-manual"].startup == pebble.CheckStartup.DISABLED
      and infos["ops-manual"].change_id is None)
check("get_checks level", [c.name for c in client.get_checks(level=pebble.CheckLevel.READY)]
      == ["ops-flag"])
check("get_checks names", [c.name for c in client.get_checks(names=["ops-manual"])]
      == ["ops-manual"])
check("start_checks", client.start_checks(["ops-manual"]) == ["ops-manual"])
check("start_checks again", client.start_checks(["ops-manual"]) == [])
check("stop_checks", client.stop_checks(["ops-manual"]) == ["ops-manual"])
try:
    client.start_checks(["nope"])
    check("start_checks unknown", False)
except pebble.APIError as e:
    check("start_checks unknown", e.code == 400 and "cannot find checks in plan: nope" in e.message)


def wait_event(kind, status, deadline=10.0):
    """Polls change-update notices as Juju does: kind and change status give the event."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for n in client.get_notices(types=[pebble.NoticeType.CHANGE_UPDATE]):
            data = n.last_data
            if data.get("check-name") != "ops-flag" or data.get("kind") != kind.value:
                continue
            if client.get_change(pebble.ChangeID(n.key)).status == status.value:
                return n
        time.sleep(0.05)
    return None


open(flag, "w").close()
failed = wait_event(pebble.ChangeKind.PERFORM_CHECK, pebble.ChangeStatus.ERROR)
check("check-failed notice", failed is not None)
down = client.get_checks(names=["ops-flag"])[0]
check("check down", down.status == pebble.CheckStatus.DOWN and down.failures >= 2)
os.remove(flag)
recovered = wait_event(pebble.ChangeKind.RECOVER_CHECK, pebble.ChangeStatus.DONE)
check("check-recovered notice", recovered is not None)
check("check up again", client.get_checks(names=["ops-flag"])[0].status == pebble.CheckStatus.UP)
client.stop_checks(["ops-flag"])

# --- services: start/stop/restart/autostart/replan, get_services, send_signal ---
client.add_layer("ops-services", {"services": {
    "ops-a": {"override": "replace", "command": "/bin/sleep 1000", "startup": "enabled"},
    "ops-b": {"override": "replace", "command": "/bin/sleep 1000",
              "requires": ["ops-a"], "after": ["ops-a"]},
    "ops-fail": {"override": "replace", "command": "/bin/sh -c 'echo bad; exit 3'",
                 "on-failure": "ignore"},
}})
SERVICES = ["ops-a", "ops-b", "ops-fail"]


def svc_status():
    return {s.name: s for s in client.get_services(SERVICES)}


check("autostart_services", bool(client.autostart_services()))
infos = svc_status()
check("service running", infos["ops-a"].is_running()
      and infos["ops-a"].current == pebble.ServiceStatus.ACTIVE
      and infos["ops-a"].startup == pebble.ServiceStartup.ENABLED)
check("service inactive", not infos["ops-b"].is_running()
      and infos["ops-b"].current == pebble.ServiceStatus.INACTIVE
      and infos["ops-b"].startup == pebble.ServiceStartup.DISABLED)
client.start_services(["ops-b"])
before = svc_status()["ops-b"]
check("start_services", before.is_running())
client.send_signal("SIGCONT", ["ops-b"])
client.send_signal(signal.SIGCONT, ["ops-a", "ops-b"])
check("send_signal", svc_status()["ops-b"].is_running())
try:
    client.send_signal("SIGCONT", ["ops-fail"])
    check("send_signal not running", False)
except pebble.APIError as e:
    check("send_signal not running",
          e.code == 500 and 'cannot send signal to "ops-fail": service is not running' in e.message)
restart = client.get_change(client.restart_services(["ops-b"]))
check("restart_services", svc_status()["ops-b"].is_running()
      and [t.summary for t in restart.tasks] == ['Stop service "ops-b"', 'Start service "ops-a"',
                                                  'Start service "ops-b"'])
client.stop_services(["ops-a"])
infos = svc_status()
check("stop_services stops dependents", not infos["ops-a"].is_running()
      and not infos["ops-b"].is_running())
try:
    client.start_services(["ops-fail"])
    check("failed start raises ChangeError", False)
except pebble.ChangeError as e:
    check("failed start raises ChangeError",
          "exited quickly with code 3, will ignore" in e.err and "bad" in str(e))
check("service in error", svc_status()["ops-fail"].current == pebble.ServiceStatus.ERROR)
client.replan_services()
check("replan_services starts enabled", svc_status()["ops-a"].is_running())
try:
    client.start_services(["nope"])
    check("start unknown service", False)
except pebble.APIError as e:
    check("start unknown service",
          e.code == 400 and 'cannot start services: service "nope" does not exist' in e.message)
change_id = client.stop_services(["ops-a"], timeout=0)
check("timeout=0 returns the change", client.wait_change(change_id).ready)

# Identities, as ops' real-server tests drive them.
client.replace_identities({
    "web": pebble.Identity(access="read", local=pebble.LocalIdentity(user_id=4242)),
    "prom": {"access": "metrics", "basic": {"password": "$6$salt$hashhashhash"}},
})
ids = client.get_identities()
check("get_identities", ids["web"].access == pebble.IdentityAccess.READ
      and ids["web"].local.user_id == 4242 and ids["prom"].basic.password == "*****")
client.replace_identities({"web": None})
client.remove_identities({"prom"})
check("remove_identities", client.get_identities() == {})
try:
    client.remove_identities({"nope"})
    check("remove missing identity", False)
except pebble.APIError as e:
    check("remove missing identity",
          e.code == 400 and e.message == "identities do not exist: nope")

print("done", flush=True)
