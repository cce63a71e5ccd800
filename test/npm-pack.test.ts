// `npm pack` makes a tarball that installs into an empty folder from the registry alone and runs there:
// `npx wispmeter --help` and `npx wispmeter demo`, without the dev dependencies or the source tree.
// Slow on purpose (better-sqlite3 compiles when no prebuilt binary can be fetched): about 1-3 minutes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runProcess } from './wispmeter/cli-run.js';
import { ROOT } from './wispmeter/collector-process.js';

type Run = CliResult;

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return runProcess(cmd, args, { cwd, timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

const must = (what: string, r: Run) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r;
};

describe('npm pack → npm install in an empty folder → npx wispmeter', () => {
  let dir: string;
  let app: string;
  let files: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-pack-'));
    // `prepare` compiles dist/ first, as it does on publish.
    const packed = must('npm pack', await run('npm', ['pack', '--json', '--pack-destination', dir], ROOT, 180_000));
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    app = join(dir, 'app');
    must('mkdir', await run('mkdir', [app], dir, 5000));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'wispmeter-install-check', private: true }));
    must('npm install of the tarball', await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info!.filename)], app, 420_000));
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the compiled CLI, the demo fixtures, the sample config, dashboards, units and docs, and no tests', () => {
    for (const f of ['dist/cli/main.js', 'fixtures/radius/demo.txt', 'fixtures/radius/demo.expected.json', 'config/wispmeter.sample.yaml',
      'dashboards/wispmeter-subscriber.json', 'dashboards/provisioning/datasources/wispmeter.yaml', 'deploy/systemd/wispmeter-collect.service',
      'deploy/systemd/wispmeter.sysusers.conf', 'docs/operations.md', 'collectors/radius/dictionary/dictionary.mikrotik']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /\.test\.|^test\/|^bench\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs without the dev dependencies and links the wispmeter command', () => {
    expect(existsSync(join(app, 'node_modules', 'wispmeter', 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '.bin', 'wispmeter'))).toBe(true);
    for (const dev of ['tsx', 'vitest', 'typescript']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
  });

  it('npx wispmeter --help lists the commands', async () => {
    const r = must('npx wispmeter --help', await run('npx', ['--no-install', 'wispmeter', '--help'], app, 60_000));
    for (const cmd of ['collect', 'usage', 'rate', 'demo', 'config']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('npx wispmeter demo runs the pipeline from the installed package and checks its totals', async () => {
    const { totals } = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'radius', 'demo.expected.json'), 'utf8')) as { totals: { bytesDown: string; bytesUp: string; packets: number } };
    const r = must('npx wispmeter demo', await run('npx', ['--no-install', 'wispmeter', 'demo', '--data-dir', join(dir, 'demo-data')], app, 120_000));
    expect(r.stderr + r.stdout).toMatch(new RegExp(`^sent ${totals.packets} accounting requests .*: ${totals.packets} acknowledged`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^TOTAL\\s+${totals.bytesDown}\\s+${totals.bytesUp}\\s`, 'm'));
    expect(r.stderr + r.stdout).toMatch(/every subscriber's total equals .*node_modules\/wispmeter\/fixtures\/radius\/demo\.expected\.json/);
  });
});
