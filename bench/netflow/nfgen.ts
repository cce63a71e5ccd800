// Runs ../shared/tools/nfgen.py (NetFlow v9 / IPFIX load at a target rate to 127.0.0.1) and parses what it sent.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

export const NFGEN = resolve(process.env.NFGEN ?? resolve(import.meta.dirname, '../../../shared/tools/nfgen.py'));

export type FlowProtocol = 'v9' | 'ipfix';

/** Subscriber addresses nfgen uses for `--subs N` (its `'100.64.%d.%d' % (i // 254, i % 254 + 1)`). */
export function nfgenSubscriberAddresses(subs: number): string[] {
  return Array.from({ length: subs }, (_, i) => `100.64.${Math.floor(i / 254)}.${(i % 254) + 1}`);
}

const byteTotals = z.strictObject({ in: z.number().int().nonnegative(), out: z.number().int().nonnegative() });

/** nfgen's --json-out. Byte totals beyond 2^53 would lose precision in JSON.parse: checked in parseNfgenResult. */
const nfgenResultSchema = z.object({
  proto: z.enum(['v9', 'ipfix']),
  packets: z.number().int(),
  data_packets: z.number().int(),
  template_packets: z.number().int(),
  records: z.number().int(),
  bytes: z.number().int(),
  send_errors: z.number().int(),
  duration_s: z.number(),
  achieved_rps: z.number(),
  target_rps: z.number().nullable(),
  udp_payload_bytes_per_data_packet: z.number().int(),
  subs: z.record(z.string(), byteTotals),
});
export type NfgenResult = z.infer<typeof nfgenResultSchema>;

export function parseNfgenResult(text: string, where: string): NfgenResult {
  const parsed = nfgenResultSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`nfgen: unexpected JSON in ${where}: ${parsed.error.message}`);
  const r = parsed.data;
  const unsafe = [r.bytes, ...Object.values(r.subs).flatMap((t) => [t.in, t.out])].some((n) => !Number.isSafeInteger(n));
  if (unsafe) throw new Error(`nfgen: a byte total in ${where} exceeds 2^53; shorten --duration`);
  return r;
}

/** Children of the bench still running (nfgen); killed if the bench is interrupted. */
export const nfgenChildren = new Set<ChildProcess>();

export async function runNfgen(opts: { proto: FlowProtocol; port: number; rps: number; durationS: number; subs: number; jsonOut: string }): Promise<NfgenResult> {
  const args = [NFGEN, '--proto', opts.proto, '--port', String(opts.port), '--rps', String(opts.rps),
    '--duration', String(opts.durationS), '--subs', String(opts.subs), '--json-out', opts.jsonOut, '--no-subs'];
  const child = spawn('python3', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  nfgenChildren.add(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  // Bounded: nfgen stops after --duration; a generator stuck past twice that (plus set-up) is killed.
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.durationS * 2000 + 30_000);
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', (err) => fail(new Error(`nfgen: could not run python3 ${NFGEN}`, { cause: err })));
    child.once('exit', (c) => done(c));
  }).finally(() => {
    clearTimeout(timer);
    nfgenChildren.delete(child);
  });
  if (code !== 0) throw new Error(`nfgen exited with ${code}: ${stderr}`);
  return parseNfgenResult(readFileSync(opts.jsonOut, 'utf8'), opts.jsonOut);
}
