"""The helper Voice Draft runs on a remote GPU host for everything that is not the engine
itself: start it detached, follow its events, report, cancel, and pack or unpack folders
when rsync is missing.

The client (src/engine/remote/exec.ts) sends this file's text with every call, as
`python3 -I -c <source> <command> <args...>`, so the host never runs a stale copy and needs
nothing installed but Python: standard library only, Python 3.6+, no import of the engine
package (it may not be on the host yet). Every command prints one JSON object on stdout,
except `follow` (the raw bytes of events.jsonl) and `pack` (a tar stream).
"""

import json, os, signal, subprocess, sys, time, tarfile, shutil, select, socket

def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

def read_pid(run):
    try:
        with open(os.path.join(run, "engine.pid")) as f:
            info = json.load(f)
        return info if isinstance(info.get("pid"), int) else None
    except (OSError, ValueError):
        return None

def _stat_fields(pid):
    # The fields of /proc/<pid>/stat after "(comm)" (a name may hold spaces and parentheses).
    with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as f:
        return f.read().rsplit(")", 1)[1].split()

def alive(pid):
    # The process exists and is not a zombie (exited, not yet reaped: possible when init does
    # not reap). The engine's own lock asks the same (runlock.pid_alive is this function).
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        return _stat_fields(pid)[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        # Reaped between the two looks (gone before the open, or between the open and the
        # read), unless this system has no /proc at all (macOS).
        return not os.path.isdir("/proc/self")
    except (OSError, IndexError):
        return True

def process_start(pid):
    # When process `pid` started, as a string two readings of the same process agree on
    # (Linux: boot id and start ticks; elsewhere `ps -o lstart=`); None when it cannot be read.
    try:
        fields = _stat_fields(pid)
        # Field 22 of stat (starttime, in clock ticks since boot) is the 20th after "(comm)".
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return "linux:%s:%s" % (boot, fields[19])
    except (OSError, IndexError):
        pass
    if not os.path.isdir("/proc/self"):  # macOS and the BSDs: ps knows
        try:
            out = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, universal_newlines=True, timeout=10).stdout.strip()
            return "ps:" + out if out else None
        except (OSError, subprocess.SubprocessError):
            return None
    return None

def same_process_alive(pid, start):
    # `pid` still runs and is the process that had it when `start` was read: a busy host hands
    # an ended engine's pid to another process, which must not make the run look alive.
    if not alive(pid):
        return False
    if not start:
        return True
    now = process_start(pid)
    if now is None:  # unreadable now: gone since the first look, or this system cannot tell
        return alive(pid)
    return now == start

def engine_alive(run):
    info = read_pid(run)
    return bool(info) and same_process_alive(info["pid"], info.get("start"))

def last_terminal(run):
    # The event that ended the newest segment (a resume starts a new one with train.started).
    terminal = None
    try:
        with open(os.path.join(run, "events.jsonl"), encoding="utf-8") as f:
            for line in f:
                try:
                    name = json.loads(line).get("event")
                except ValueError:
                    continue
                if name == "train.started":
                    terminal = None
                elif name in ("train.done", "train.cancelled", "error"):
                    terminal = name
    except OSError:
        pass
    return terminal

def cmd_probe(base, *relative):
    # Relative paths are checked under the base: one round trip answers "is the engine there?" too.
    base = os.path.abspath(os.path.expanduser(base))
    out({"home": os.path.expanduser("~"), "base": base, "rsync": shutil.which("rsync"),
         "python3": sys.executable, "host": socket.gethostname(),
         "exists": [os.path.exists(os.path.join(base, r)) for r in relative]})

def cmd_start(run, python, engine_dir, env_json, *engine_args):
    # engine_args: the interpreter's arguments and the engine command, as the client runs the
    # engine on its own machine (locate.ts: isolated, -s -c <bootstrap> train --run ...);
    # env_json: the engine's environment, the client's isolation variables included.
    if engine_alive(run):
        out({"ok": False, "reason": "alive", "pid": read_pid(run)["pid"]})
        return
    env = dict(os.environ)
    env.update(json.loads(env_json))
    env["PYTHONPATH"] = engine_dir + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    args = [python] + list(engine_args)
    log = open(os.path.join(run, "engine.log"), "ab")
    # Own session: no SIGHUP when the ssh session ends; stdout is /dev/null because
    # the engine writes events.jsonl itself and a dead pipe must never kill it.
    proc = subprocess.Popen(args, cwd=run, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=log, start_new_session=True, close_fds=True)
    info = {"pid": proc.pid, "pgid": proc.pid, "start": process_start(proc.pid), "host": socket.gethostname(), "args": args,
            "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    tmp = os.path.join(run, "engine.pid.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, os.path.join(run, "engine.pid"))
    out({"ok": True, "pid": proc.pid})

def cmd_status(run):
    info = read_pid(run)
    size = None
    try:
        size = os.path.getsize(os.path.join(run, "events.jsonl"))
    except OSError:
        pass
    out({"exists": os.path.isdir(run), "alive": bool(info) and same_process_alive(info["pid"], info.get("start")),
         "pid": info["pid"] if info else None, "terminal": last_terminal(run), "eventsSize": size})

def cmd_cancel(run):
    info = read_pid(run)
    if not info or not same_process_alive(info["pid"], info.get("start")):
        out({"signalled": False})
        return
    try:
        os.killpg(info.get("pgid", info["pid"]), signal.SIGTERM)
    except OSError:
        try:
            os.kill(info["pid"], signal.SIGTERM)
        except ProcessLookupError:  # it ended meanwhile: nothing to cancel
            out({"signalled": False})
            return
    out({"signalled": True, "pid": info["pid"]})

def cmd_follow(run, offset):
    # Streams events.jsonl from a byte offset until the engine is gone and the file
    # is drained (exit 0), or until our stdin closes: the ssh channel is gone (exit 3).
    path = os.path.join(run, "events.jsonl")
    pos = int(offset)
    stdout = sys.stdout.buffer
    stdin = sys.stdin.buffer
    # The engine as first seen (pid, start): later polls only ask whether it still runs, so a
    # host without /proc does not start a `ps` every 0.2 s. A pid handed on between two polls
    # would have to be reused within them.
    seen = None
    while True:
        info = read_pid(run)  # read before the file, so nothing written before death is missed
        key = (info["pid"], info.get("start")) if info else None
        if key is not None and key == seen:
            running = alive(key[0])
        else:
            running = key is not None and same_process_alive(*key)
            seen = key if running else None
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        if size < pos:
            sys.stderr.write("events.jsonl is shorter than the offset %d\n" % pos)
            sys.exit(4)
        if size > pos:
            with open(path, "rb") as f:
                f.seek(pos)
                while pos < size:
                    chunk = f.read(min(size - pos, 1 << 20))
                    if not chunk:
                        break
                    stdout.write(chunk)
                    pos += len(chunk)
            stdout.flush()
        if not running:
            sys.exit(0)
        ready, _, _ = select.select([stdin], [], [], 0.2)
        if ready and not os.read(stdin.fileno(), 4096):
            sys.exit(3)

def cmd_list(run):
    entries = []
    if os.path.isdir(run):
        for name in sorted(os.listdir(run)):
            entries.append({"name": name, "dir": os.path.isdir(os.path.join(run, name))})
    ckpt = os.path.join(run, "checkpoints")
    checkpoints = sorted(n for n in os.listdir(ckpt) if os.path.isdir(os.path.join(ckpt, n))) if os.path.isdir(ckpt) else []
    out({"entries": entries, "checkpoints": checkpoints})

def cmd_mkdir(path):
    os.makedirs(path, exist_ok=True)
    out({"ok": True})

def make_private(path):
    # chmod -R go-rwx: folders 0700 and files 0600 at most, links never followed.
    def strip(p):
        st = os.lstat(p)
        if not os.path.islink(p):
            os.chmod(p, st.st_mode & 0o700)
    if os.path.lexists(path):
        strip(path)
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            strip(os.path.join(top, name))

def cmd_private(run):
    # The run folder and the remote-runs folder above it: nobody else on the host reads them.
    make_private(run)
    parent = os.path.dirname(run.rstrip("/"))
    if os.path.basename(parent) == "remote-runs" and os.path.isdir(parent) and not os.path.islink(parent):
        os.chmod(parent, 0o700)
    out({"ok": True})

def cmd_remove(run):
    # Deletes a run's copy on the host (the essays, checkpoints, results), never while its
    # engine runs, and only a real folder directly under a remote-runs folder.
    run = run.rstrip("/")
    if os.path.basename(os.path.dirname(run)) != "remote-runs" or os.path.islink(run):
        out({"ok": False, "reason": "not a remote run folder"})
        return
    if engine_alive(run):
        out({"ok": False, "reason": "alive", "pid": read_pid(run)["pid"]})
        return
    if os.path.isdir(run):
        shutil.rmtree(run)
    out({"ok": True, "removed": True})

def cmd_install(tmp, dest):
    # Puts a fully copied folder in place in one rename; if another copy won the race, keeps that one.
    if os.path.exists(dest):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(tmp, dest)
    out({"ok": True})

def cmd_pack(root, *names):
    # Files and folders only: links are followed (dereference) and a file linked twice is
    # sent twice, because the receiving side accepts nothing else (untar.ts).
    with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", dereference=True) as tar:
        for name in names:
            tar.add(os.path.join(root, name), arcname=name,
                    filter=lambda ti: None if "__pycache__" in ti.name.split("/") else ti)

def cmd_unpack(dest, skip_existing="0"):
    os.makedirs(dest, exist_ok=True)
    real = os.path.realpath(dest)
    with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tar:
        for member in tar:
            target = os.path.realpath(os.path.join(dest, member.name))
            if not (target == real or target.startswith(real + os.sep)) or member.issym() or member.islnk():
                raise SystemExit("refusing tar member %r" % member.name)
            if skip_existing == "1" and member.isfile() and os.path.exists(target):
                continue
            member.mode = 0o700 if member.isdir() else 0o600  # the sender's modes are not kept
            tar.extract(member, dest)
    make_private(dest)
    out({"ok": True})

COMMANDS = {"probe": cmd_probe, "start": cmd_start, "status": cmd_status,
            "cancel": cmd_cancel, "follow": cmd_follow, "list": cmd_list, "mkdir": cmd_mkdir,
            "install": cmd_install, "pack": cmd_pack, "unpack": cmd_unpack, "private": cmd_private,
            "remove": cmd_remove}

if __name__ == "__main__":
    # What the helper and the engine it starts create on the host (run folders, engine.log,
    # engine.pid, unpacked copies) is the writer's alone to read: a copy of their essays.
    os.umask(0o077)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
