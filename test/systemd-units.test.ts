// The systemd units in deploy/systemd pass `systemd-analyze verify` and its offline security review, and start
// the CLI the way the CLI really takes its arguments.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from './servers/server-process.js';
import { runCli } from './wispmeter/cli-run.js';
import { ROOT } from './wispmeter/collector-process.js';

const execFileP = promisify(execFile);
const UNITS_DIR = join(ROOT, 'deploy', 'systemd');
const UNITS = ['wispmeter-collect.service', 'wispmeter-scheduler.service', 'wispmeter-portal.service'];
const BIN = '/opt/wispmeter/bin/wispmeter';
/** systemd-analyze security's overall exposure (0 safest … 10); systemd calls below 2 "OK". */
const MAX_EXPOSURE = 2;

async function run(binary: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileP(binary, args, { timeout: 30_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const unit = (name: string) => readFileSync(join(UNITS_DIR, name), 'utf8');
const directives = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

describe('deploy/systemd units', () => {
  let analyze: string;
  let root: string;

  beforeAll(() => {
    analyze = findBinary('systemd-analyze', 'apt-get install systemd');
    // A root of our own: the host's unit library (for the targets the units name), the units, and the binary
    // they run, which on a real host `npm install -g --prefix /opt/wispmeter` puts there.
    root = mkdtempSync(join(tmpdir(), 'wispmeter-systemd-'));
    const library = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'multi-user.target')));
    if (!library) throw new Error('no systemd unit library (multi-user.target) on this host: install it with "apt-get install systemd"');
    cpSync(library, join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    for (const u of UNITS) copyFileSync(join(UNITS_DIR, u), join(root, 'etc/systemd/system', u));
    mkdirSync(join(root, 'opt/wispmeter/bin'), { recursive: true });
    writeFileSync(join(root, BIN), '#!/bin/sh\n');
    chmodSync(join(root, BIN), 0o755);
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const verify = (units: string[]) => run(analyze, ['verify', '--man=no', `--root=${root}`, ...units.map((u) => join(root, 'etc/systemd/system', u))]);

  it('ships the three units', () => {
    expect(readdirSync(UNITS_DIR).filter((f) => f.endsWith('.service')).sort()).toEqual([...UNITS].sort());
  });

  it('systemd-analyze verify accepts every unit without a word', async () => {
    const r = await verify(UNITS);
    if (r.code !== 0 || r.output.trim() !== '') throw new Error(`systemd-analyze verify rejected the units (exit ${r.code}):\n${r.output}`);
  });

  it('systemd-analyze verify does speak up about a broken unit (so silence above means something)', async () => {
    const broken = unit('wispmeter-collect.service').replace('ProtectSystem=strict', 'ProtectSystem=sometimes').replace('NoNewPrivileges=yes', 'NoNewPrivilegs=yes');
    writeFileSync(join(root, 'etc/systemd/system/wispmeter-broken.service'), broken);
    const r = await verify(['wispmeter-broken.service']);
    expect(r.output).toMatch(/Unknown key 'NoNewPrivilegs'/);
    expect(r.output).toMatch(/protect system value.*sometimes/);
  });

  it.each(UNITS)(`%s: systemd-analyze security rates its exposure at most ${MAX_EXPOSURE}`, async (u) => {
    const r = await run(analyze, ['security', '--offline=yes', `--root=${root}`, `--threshold=${MAX_EXPOSURE * 10}`, '--no-pager', join(root, 'etc/systemd/system', u)]);
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(r.output)?.[1];
    if (r.code !== 0 || level === undefined) throw new Error(`systemd-analyze security failed for ${u} (exit ${r.code}):\n${r.output}`);
    expect(Number(level)).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it.each(UNITS)('%s: a dedicated user, restart on failure, a read-only system but for /var/lib/wispmeter', (u) => {
    const text = unit(u);
    expect(directives(text, 'User')).toEqual(['wispmeter']);
    expect(directives(text, 'Restart')).toEqual(['on-failure']);
    expect(directives(text, 'ProtectSystem')).toEqual(['strict']);
    expect(directives(text, 'ReadWritePaths')).toEqual(['/var/lib/wispmeter']);
    expect(directives(text, 'NoNewPrivileges')).toEqual(['yes']);
    expect(directives(text, 'ExecStart')[0]).toMatch(new RegExp(`^${BIN} .* --config /etc/wispmeter/wispmeter.yaml$`));
  });

  it('the collector may bind RADIUS on 1813 and any port below 1024, and nothing more', () => {
    const text = unit('wispmeter-collect.service');
    expect(directives(text, 'AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(directives(text, 'CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
  });

  it('the sysusers.d file creates the wispmeter user', async () => {
    const sysusers = findBinary('systemd-sysusers', 'apt-get install systemd');
    mkdirSync(join(root, 'etc'), { recursive: true });
    const r = await run(sysusers, [`--root=${root}`, '--dry-run', join(UNITS_DIR, 'wispmeter.sysusers.conf')]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Creating user '?wispmeter'? /);
  });

  it('the collector unit runs the CLI as the CLI takes its arguments', async () => {
    const text = unit('wispmeter-collect.service');
    const [pre] = directives(text, 'ExecStartPre');
    const [start] = directives(text, 'ExecStart');
    // `config check FILE` on the documented sample passes; `collect` knows --config.
    const check = pre!.replace(`${BIN} `, '').split(' ');
    expect(check.slice(0, 2)).toEqual(['config', 'check']);
    const checked = await runCli([...check.slice(0, 2), join(ROOT, 'config', 'wispmeter.sample.yaml')]);
    expect(checked.code, checked.stderr).toBe(0);
    const help = await runCli(['collect', '--help']);
    expect(start!.replace(`${BIN} `, '').split(' ')[0]).toBe('collect');
    expect(help.stdout).toMatch(/--config <file>/);
  });
});
