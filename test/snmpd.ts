// The real Net-SNMP agent (Debian snmpd) for integration tests: generated config, temp dirs, loopback ports only.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { ROOT } from './wispmeter/collector-process.js';
import { freeUdpPort } from './servers/free-port.js';
import { findBinary, startServerProcess, type ServerProcess } from './servers/server-process.js';

/** "udp:127.0.0.1:65535," is 20 bytes: 128 fit in snmpd's 2560-byte address list; keep a margin. */
export const MAX_PORTS = 120;

export interface SnmpdUser {
  name: string;
  level: 'authNoPriv' | 'authPriv';
  /** Net-SNMP spelling: SHA, SHA-256, … */
  auth: 'SHA' | 'SHA-256' | 'SHA-512' | 'MD5';
  authPassword: string;
  priv?: 'AES';
  privPassword?: string;
}

export interface StartSnmpdOptions {
  /** UDP ports on 127.0.0.1 (default: one free port). One agent can answer on hundreds. */
  ports?: number[];
  communities?: string[];
  users?: SnmpdUser[];
  sysObjectID?: string;
  /** Subtrees served from a fixture walk by fixtures/snmp/pass-persist.mjs, stepped with setStep(). */
  fixture?: { walkFile: string; subtrees: string[] };
  /** Keep the host's own IF-MIB (ifTable/ifXTable from /proc); off when a fixture serves IF-MIB instead. */
  hostIfMib?: boolean;
  /**
   * Keep HOST-RESOURCES-MIB hrSystemUptime (the host's uptime, which an snmpd restart does not reset) and
   * hrProcessorTable (the host's CPUs). Off for a simulated device whose reboot must show: then its only uptime is
   * sysUpTime, which restart() resets, and its CPU load is what a fixture serves under 1.3.6.1.2.1.25.3.3 (none without).
   */
  hostResources?: boolean;
}

export interface Snmpd {
  ports: number[];
  port: number;
  /** Which fixture step the pass_persist agent serves from now on. */
  setStep(step: number): void;
  /**
   * Stop and start again on the same ports and persistent dir: sysUpTime starts from 0. A device reboot when
   * started with hostResources: false; otherwise only the agent restarted (hrSystemUptime and the host's
   * interface counters carry on).
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Stop and delete the temp directory. */
  dispose(): Promise<void>;
  output(): string;
}

export async function startSnmpd(opts: StartSnmpdOptions): Promise<Snmpd> {
  const binary = findBinary('snmpd', 'apt-get install snmpd');
  const dir = mkdtempSync(join(tmpdir(), 'wispmeter-snmpd-'));
  const ports = opts.ports ?? [await freeUdpPort()];
  // snmpd keeps its listening addresses in one 2560-byte string and silently drops what does not fit.
  if (ports.length > MAX_PORTS) throw new Error(`startSnmpd: at most ${MAX_PORTS} ports per snmpd (its address list is cut at 2560 bytes); start several`);
  const stepFile = join(dir, 'step');
  writeFileSync(stepFile, '0\n');
  mkdirSync(join(dir, 'persist'));
  mkdirSync(join(dir, 'mibs'));
  const conf = join(dir, 'snmpd.conf');
  const lines = [
    `agentAddress ${ports.map((p) => `udp:127.0.0.1:${p}`).join(',')}`,
    'dontLogTCPWrappersConnects yes',
    ...(opts.sysObjectID ? [`sysObjectID ${opts.sysObjectID}`] : []),
    ...(opts.communities ?? []).map((c) => `rocommunity ${c} 127.0.0.1`),
    ...(opts.users ?? []).flatMap((u) => [
      `createUser ${u.name} ${u.auth} "${u.authPassword}"${u.level === 'authPriv' ? ` ${u.priv ?? 'AES'} "${u.privPassword}"` : ''}`,
      `rouser ${u.name} ${u.level === 'authPriv' ? 'priv' : 'auth'}`,
    ]),
    ...(opts.fixture?.subtrees ?? []).map((oid) => `pass_persist .${oid} ${process.execPath} ${join(ROOT, 'fixtures/snmp/pass-persist.mjs')} ${opts.fixture!.walkFile} ${stepFile}`),
  ];
  writeFileSync(conf, lines.join('\n') + '\n');
  // -C: only this config; -LE 4: warnings and worse on stderr.
  const args = ['-f', '-C', '-c', conf, '-LE', '4', '-p', join(dir, 'snmpd.pid')];
  // One -I with one leading "-": it applies to the whole list (a "-" on later names is not understood).
  const without = [...(opts.hostIfMib === false ? ['ifTable', 'ifXTable', 'interfaces'] : []), ...(opts.hostResources === false ? ['hr_system', 'hr_proc'] : [])];
  if (without.length) args.push('-I', `-${without.join(',')}`);
  // Through env(1), which execs snmpd with these set: its own persistent dir (engine boots, users), and no MIB
  // files (OIDs are numeric; loading Debian's partial set only prints noise).
  const env = [`SNMP_PERSISTENT_DIR=${join(dir, 'persist')}`, `MIBDIRS=${join(dir, 'mibs')}`, 'MIBS='];

  const launch = async (): Promise<ServerProcess> => await startServerProcess({
    name: 'snmpd',
    binary: '/usr/bin/env',
    args: [...env, binary, ...args],
    ready: () => answers(ports[0]!, opts),
    readyTimeoutMs: 15_000,
  });
  let proc: ServerProcess;
  try {
    proc = await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ports,
    port: ports[0]!,
    setStep: (step) => writeFileSync(stepFile, `${step}\n`),
    async restart() {
      await proc.stop();
      proc = await launch();
    },
    stop: async () => await proc.stop(),
    async dispose() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => proc.output(),
  };
}

/** True once the agent answers a GET of sysUpTime with the first credential it was given. */
function answers(port: number, opts: StartSnmpdOptions): Promise<boolean> {
  const community = opts.communities?.[0];
  const user = opts.users?.[0];
  const session = community !== undefined
    ? snmp.createSession('127.0.0.1', community, { port, version: snmp.Version2c, timeout: 300, retries: 0 })
    : snmp.createV3Session('127.0.0.1', {
      name: user!.name,
      level: user!.level === 'authPriv' ? snmp.SecurityLevel.authPriv : snmp.SecurityLevel.authNoPriv,
      authProtocol: { SHA: snmp.AuthProtocols.sha, 'SHA-256': snmp.AuthProtocols.sha256, 'SHA-512': snmp.AuthProtocols.sha512, MD5: snmp.AuthProtocols.md5 }[user!.auth],
      authKey: user!.authPassword,
      ...(user!.level === 'authPriv' ? { privProtocol: snmp.PrivProtocols.aes, privKey: user!.privPassword } : {}),
    }, { port, version: snmp.Version3, timeout: 300, retries: 0 });
  session.on('error', () => undefined);
  return new Promise((resolve) => {
    session.get(['1.3.6.1.2.1.1.3.0'], (err) => {
      session.close();
      resolve(!err);
    });
  });
}

