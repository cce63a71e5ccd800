// Starts the built `wispmeter collect` with only the NetFlow collector (embedded store) for the bench, reads its
// counters and, after it stopped and flushed, its stored per-subscriber totals.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import { freePort } from '../../test/servers/free-port.js';
import { fetchWithin, startServerProcess } from '../../test/servers/server-process.js';
import { processCpuSeconds } from '../radius/proc-cpu.js';
import { freeUdpPort } from '../radius/udp-port.js';
import { WISPMETER_MAIN } from '../radius/wispmeter-collector.js';
import { udpSocketState } from './kernel-udp.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

const run = promisify(execFile);

/** The collector's own counters (Prometheus text, summed over labels). */
export interface WispmeterCounters {
  packets: number;
  flows: number;
  /** Decode errors by reason, only those above zero. */
  decodeErrors: Record<string, number>;
  /** wispmeter_netflow_dropped_total by reason, only those above zero. */
  dropped: Record<string, number>;
  droppedRecords: number;
  socketDrops: number;
  /** Datagrams that found the receive thread's queue full (the decoder was behind; the socket buffer filled meanwhile). */
  receiveQueueWaits: number;
  heldSets: number;
  octets: number;
}

export interface StoredTotals {
  subscriber: string;
  bytesDown: number;
  bytesUp: number;
}

export interface WispmeterNetflow {
  port: number;
  pid: number;
  counters(): Promise<WispmeterCounters>;
  cpuSeconds(): number | undefined;
  output(): string;
  /** SIGTERM: the collector flushes every open bucket to the spool and the embedded store, then exits. */
  stop(): Promise<void>;
  /** `wispmeter usage --source netflow --format json` over [from, to); call after stop(). */
  storedTotals(from: Date, to: Date): Promise<StoredTotals[]>;
  /** Removes the data dir (unless kept). */
  remove(): void;
}

/** `--static ADDR/32=ADDR` for every address: each nfgen subscriber address is its own subscriber. */
export async function startWispmeterNetflow(opts: { subscriberAddresses: readonly string[]; keep?: boolean; configFile?: string | undefined }): Promise<WispmeterNetflow> {
  const dataDir = makeTempDir('wispmeter-bench-netflow-');
  const port = await freeUdpPort();
  const metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
  const statics = opts.subscriberAddresses.flatMap((a) => ['--static', `${a}/32=${a}`]);
  let server;
  try {
    server = await startServerProcess({
      name: 'wispmeter',
      binary: process.execPath,
      // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the collector (every thread) under the bench's load.
      args: [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), WISPMETER_MAIN, 'collect', ...(opts.configFile ? ['-c', opts.configFile] : []), '--data-dir', dataDir, '--netflow-listen', `127.0.0.1:${port}`,
        ...statics, '--metrics-listen', new URL(metricsUrl).host, '--log-level', 'warn'],
      // The NetFlow socket binds before the metrics server listens; check both anyway.
      ready: async () => (await fetchWithin(metricsUrl)).ok && udpSocketState(port).sockets > 0,
      readyTimeoutMs: 30_000,
    });
  } catch (err) {
    removeTempDir(dataDir);
    throw err;
  }
  const s = server;
  return {
    port,
    pid: s.pid,
    async counters() {
      return parseCounters(await (await fetchWithin(metricsUrl)).text());
    },
    cpuSeconds: () => processCpuSeconds(s.pid),
    output: () => s.output(),
    async stop() {
      await s.stop(60_000);
      const exit = s.exit();
      if (exit?.code !== 0) throw new Error(`wispmeter did not exit cleanly (${JSON.stringify(exit)}); its stored totals cannot be trusted:\n${s.output().slice(-2000)}`);
    },
    async storedTotals(from, to) {
      const { stdout } = await run(process.execPath, [WISPMETER_MAIN, 'usage', '--data-dir', dataDir, '--from', from.toISOString(),
        '--to', to.toISOString(), '--source', 'netflow', '--format', 'json', '--log-level', 'warn'], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
      return parseUsage(stdout);
    },
    remove() {
      if (!opts.keep) removeTempDir(dataDir);
      else console.log(`wispmeter data dir kept: ${dataDir}`);
    },
  };
}

const usageRows = z.array(z.object({ subscriber: z.string(), bytesDown: z.number().int(), bytesUp: z.number().int() }));

function parseUsage(text: string): StoredTotals[] {
  const parsed = usageRows.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`wispmeter usage: unexpected JSON: ${parsed.error.message}`);
  return parsed.data;
}

function parseCounters(text: string): WispmeterCounters {
  const c: WispmeterCounters = { packets: 0, flows: 0, decodeErrors: {}, dropped: {}, droppedRecords: 0, socketDrops: 0, receiveQueueWaits: 0, heldSets: 0, octets: 0 };
  for (const line of text.split('\n')) {
    const m = /^(wispmeter_netflow_\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    const reason = /reason="([^"]*)"/.exec(labels)?.[1] ?? '';
    switch (name) {
      case 'wispmeter_netflow_packets_total': c.packets += value; break;
      case 'wispmeter_netflow_flows_total': c.flows += value; break;
      case 'wispmeter_netflow_decode_errors_total': if (value) c.decodeErrors[reason] = value; break;
      case 'wispmeter_netflow_dropped_total': if (value) c.dropped[reason] = value; break;
      case 'wispmeter_netflow_dropped_records_total': c.droppedRecords += value; break;
      case 'wispmeter_netflow_socket_drops': c.socketDrops += value; break;
      case 'wispmeter_netflow_receive_queue_waits_total': c.receiveQueueWaits += value; break;
      case 'wispmeter_netflow_held_sets': c.heldSets += value; break;
      case 'wispmeter_netflow_octets_total': c.octets += value; break;
      default: break;
    }
  }
  return c;
}
