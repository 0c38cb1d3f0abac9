"""Drives a running daemon with ops' pebble.Client, as a charm would.

Usage: python3 ops_client.py SOCKET
Prints "ok <check>" lines; exits non-zero on the first failure.
"""

import datetime
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

print("done", flush=True)
