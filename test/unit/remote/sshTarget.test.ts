// The quoting that stands between a path and a shell: checked by running real
// shells (and rsync's own -e parser through a real sshd) on hostile words.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exec, RemoteError } from '../../../src/engine/remote/exec';
import { posixQuote, remoteCommand, rsyncRsh, rsyncWordQuote, sshArgs, validateHost } from '../../../src/engine/remote/sshTarget';
import { startSshd } from './sshd';

const NASTY = [
  '',
  'plain',
  'with space',
  "it's",
  "''",
  '"double"',
  '$(touch PWNED)',
  '`touch PWNED`',
  '$HOME ${HOME} $((1+1))',
  'a;b&&c||d|e>f<g',
  'back\\slash\\',
  'new\nline',
  'tab\there',
  '*?[a-z]~',
  '-n',
  '!history',
  'ünïcødé ✍️',
  "'; touch PWNED; echo '",
];

const shells = ['sh', 'bash', 'dash'].filter((s) => { try { execFileSync(s, ['-c', 'true']); return true; } catch { return false; } });

test('posixQuote: every word comes back unchanged from sh, bash and dash, and nothing runs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vd-quote-'));
  try {
    for (const shell of shells) {
      for (const word of NASTY) {
        // printf's format is itself quoted: the word is its one argument.
        const out = execFileSync(shell, ['-c', `printf '%s' ${posixQuote(word)}`], { cwd: dir, encoding: 'utf8' });
        assert.equal(out, word, `${shell}: ${JSON.stringify(word)}`);
      }
    }
    assert.ok(!existsSync(join(dir, 'PWNED')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('remoteCommand: cd, environment and argv survive a shell as separate words', async () => {
  const dir = await mkdtemp(join(tmpdir(), "vd-cmd- it's $(x) "));
  try {
    const cmd = remoteCommand(['printf', '%s|', ...NASTY], { cwd: dir, env: { VD_TEST: "a 'b' $(c)" } });
    const out = execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
    assert.equal(out, NASTY.map((w) => `${w}|`).join(''));
    const env = execFileSync('sh', ['-c', remoteCommand(['sh', '-c', 'printf "%s\\n%s" "$VD_TEST" "$PWD"'], { cwd: dir, env: { VD_TEST: "a 'b' $(c)" } })], { encoding: 'utf8' });
    assert.equal(env, `a 'b' $(c)\n${dir}`);
    assert.throws(() => remoteCommand(['x'], { env: { 'BAD NAME': '1' } }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('validateHost refuses option injection and shell characters', () => {
  for (const ok of ['gpu', 'gpu-box.example.com', 'me@gpu', 'me@10.0.0.5', 'gpu_2', '[fe80::1]']) assert.equal(validateHost(ok), ok);
  for (const bad of ['', ' ', '-oProxyCommand=touch /tmp/x', 'a b', 'a;b', 'host$(x)', 'a\nb', "h'"]) assert.throws(() => validateHost(bad), bad);
});

test('sshArgs: batch mode and keep-alives, options before "--", the command last as one word', () => {
  const args = sshArgs({ host: 'gpu', configFile: '/tmp/c f', port: 2222, identityFile: '/k' }, 'echo hi');
  assert.deepEqual(args.slice(-3), ['--', 'gpu', 'echo hi']);
  const opts = args.slice(0, -3).join(' ');
  for (const o of ['BatchMode=yes', 'ServerAliveInterval=15', 'ServerAliveCountMax=4', '-F /tmp/c f', '-p 2222', '-i /k', '-T']) assert.ok(opts.includes(o), o);
  // The default: no -F, so the writer's ~/.ssh/config applies.
  assert.ok(!sshArgs({ host: 'gpu' }, 'x').includes('-F'));
});

test("rsyncWordQuote matches rsync's -e splitting: a hostile ssh config path works through a real sshd", { timeout: 60_000 }, async () => {
  assert.equal(rsyncWordQuote("it's"), "'it''s'");
  const sshd = await startSshd();
  const dir = await mkdtemp(join(tmpdir(), 'vd-rsh-'));
  try {
    // The client config lives at a path with spaces and quotes; rsync must hand it to ssh intact.
    const odd = join(dir, `conf "dir" it's`);
    await mkdir(odd);
    const config = join(odd, "ssh config 'x'");
    await writeFile(config, await readFile(sshd.target.configFile!, 'utf8'));
    await chmod(config, 0o600);
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f.txt'), 'hello');
    const dest = join(dir, `dest it's $(touch PWNED)`);
    const t = { ...sshd.target, configFile: config };
    const r = await exec('rsync', ['-a', '--protect-args', '-e', rsyncRsh(t), `${src}/`, `${t.host}:${dest}/`], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(dest, 'f.txt'), 'utf8'), 'hello');
    assert.ok(!existsSync(join(dir, 'PWNED')));
  } finally {
    await sshd.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('ssh or rsync missing on this machine says what to install, not spawn ENOENT', async () => {
  const missing = join(tmpdir(), 'no-such-dir', 'ssh');
  await assert.rejects(exec(missing, ['-V']), (e: unknown) =>
    e instanceof RemoteError && e.message.includes(`"${missing}" was not found on this machine`) && /OpenSSH client/.test(e.hint));
  await assert.rejects(exec(join(tmpdir(), 'no-such-dir', 'rsync'), ['--version']), (e: unknown) =>
    e instanceof RemoteError && /Install rsync so it is on the PATH/.test(e.hint));
});
