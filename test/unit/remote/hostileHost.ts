// A stand-in remote host that lies, for the tests of what a pull may write here.
// `ssh` is a small script that runs the command it is given on this machine (in a
// temp "home"), so rsync and our helper run for real; the helper's interpreter is
// a wrapper that answers `list` and `pack` from a scenario file, the way a
// compromised host could, and hands every other subcommand to the real helper.
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RemoteTarget } from '../../../src/engine/remote/sshTarget';

/** One tar member the hostile `pack` sends. */
export type TarMember =
  | { name: string; type?: 'file'; data?: string }
  | { name: string; type: 'dir' }
  | { name: string; type: 'symlink' | 'hardlink'; target: string }
  | { name: string; type: 'chardev' | 'fifo' };

export interface Scenario {
  /** The answer to `list` (else the real helper's). */
  list?: { entries: Array<{ name: string; dir?: boolean }>; checkpoints: string[] };
  /** The tar stream `pack` sends, whatever was asked (else the real helper's). */
  pack?: TarMember[];
  /** `pack` packs the names asked for as the real helper does, but sends these for any name with `..` or `/` at the start. */
  packUnsafe?: TarMember[];
}

export interface HostileHost {
  /** The host's login folder (the stand-in ssh runs commands there). */
  home: string;
  target: RemoteTarget;
  /** Sets what the host answers from now on. */
  scenario(s: Scenario): Promise<void>;
}

const SSH = (home: string) => `#!/bin/sh
# Stand-in ssh: options as ssh takes them, then the host, then the command, which
# runs here through sh (as a login shell would run it) in the host's home.
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -o|-F|-p|-i|-l|-e|-b|-c|-D|-E|-J|-L|-m|-O|-Q|-R|-S|-W|-w) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
shift
cd '${home}' || exit 255
exec sh -c "$*"
`;

const HELPER = (python: string, scenario: string) => `#!${python}
import io, json, os, sys, tarfile
REAL = ${JSON.stringify(python)}
argv = sys.argv[1:]
at = argv.index("-c")
flags, source, cmd, rest = argv[:at], argv[at + 1], argv[at + 2], argv[at + 3:]
try:
    with open(${JSON.stringify(scenario)}) as f:
        scenario = json.load(f)
except OSError:
    scenario = {}
if cmd == "list" and "list" in scenario:
    print(json.dumps(scenario["list"]))
    sys.exit(0)
def add_members(tar, members):
    kinds = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
             "chardev": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}
    for m in members:
        info = tarfile.TarInfo(m["name"])
        kind = m.get("type", "file")
        if kind == "file":
            data = m.get("data", "").encode()
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
            continue
        info.type = kinds[kind]
        info.mode = 0o755
        info.linkname = m.get("target", "")
        tar.addfile(info)
if cmd == "pack" and ("pack" in scenario or "packUnsafe" in scenario):
    root, names = rest[0], rest[1:]
    with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT, dereference=True) as tar:
        if "pack" in scenario:
            add_members(tar, scenario["pack"])
        else:
            for name in names:
                if ".." in name.split("/") or name.startswith("/"):
                    add_members(tar, scenario["packUnsafe"])
                elif os.path.exists(os.path.join(root, name)):
                    tar.add(os.path.join(root, name), arcname=name)
    sys.exit(0)
os.execv(REAL, [REAL] + flags + ["-c", source, cmd] + rest)
`;

export async function hostileHost(root: string, python: string): Promise<HostileHost> {
  const dir = await mkdtemp(join(root ?? tmpdir(), 'hostile-'));
  const home = join(dir, 'home');
  await mkdir(home);
  const ssh = join(dir, 'ssh');
  const helper = join(dir, 'python3');
  const scenarioFile = join(dir, 'scenario.json');
  await writeFile(ssh, SSH(home));
  await writeFile(helper, HELPER(python, scenarioFile));
  await chmod(ssh, 0o755);
  await chmod(helper, 0o755);
  return {
    home,
    target: { host: 'hostile-host', ssh, helperPython: helper, python },
    scenario: (s) => writeFile(scenarioFile, JSON.stringify(s)),
  };
}
