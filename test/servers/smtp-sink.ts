// A real SMTP server for tests: Debian's aiosmtpd running test/push-smtp-sink.py, which stores each message it
// accepts as NAME.eml plus its envelope as NAME.json; and a reader of what it stored, parsed by Python's email package.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../wispmeter/collector-process.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

// Debian's python3 (the package installs there), not a pyenv shim earlier on PATH.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface ReceivedMail {
  envelope: { from: string; to: string[]; login: string | null };
  subject: string;
  messageId: string;
  attachments: { filename: string; type: string; path: string }[];
}

/**
 * Starts the sink on `port`, storing into `mailDir`; `password` is the AUTH password it accepts. Fails saying what to
 * install when aiosmtpd is missing. `args` are passed on to the sink script (e.g. TLS certificate files).
 */
export async function startSmtpSink(port: number, mailDir: string, password: string, args: readonly string[] = []): Promise<ServerProcess> {
  try {
    execFileSync(PYTHON, ['-c', 'import aiosmtpd'], { stdio: 'ignore' });
  } catch {
    throw new Error('python3-aiosmtpd is not installed: these tests need a real SMTP server; install it with "apt-get install python3-aiosmtpd" (scripts/test.sh does)');
  }
  mkdirSync(mailDir, { recursive: true });
  process.env.SMTP_SINK_PASSWORD = password;
  return startServerProcess({
    name: 'aiosmtpd', binary: PYTHON, args: [join(ROOT, 'test/push-smtp-sink.py'), String(port), mailDir, ...args],
    ready: () => acceptsTcp(port), readyTimeoutMs: 15_000,
  });
}

/** Every message the sink stored in `mailDir`, oldest first, with its attachments saved as files under `into`. */
export function receivedMail(mailDir: string, into: string): ReceivedMail[] {
  const script = [
    'import email, json, os, sys',
    'from email import policy',
    'out = []',
    'for name in sorted(f for f in os.listdir(sys.argv[1]) if f.endswith(".json")):',
    '    base = os.path.join(sys.argv[1], name[:-5])',
    '    m = email.message_from_binary_file(open(base + ".eml", "rb"), policy=policy.default)',
    '    atts = []',
    '    for p in m.iter_attachments():',
    '        path = os.path.join(sys.argv[2], name[:-5] + "-" + p.get_filename())',
    '        open(path, "wb").write(p.get_payload(decode=True))',
    '        atts.append({"filename": p.get_filename(), "type": p.get_content_type(), "path": path})',
    '    out.append({"envelope": json.load(open(base + ".json")), "subject": str(m["subject"]), "messageId": str(m["message-id"]), "attachments": atts})',
    'print(json.dumps(out))',
  ].join('\n');
  mkdirSync(into, { recursive: true });
  return JSON.parse(execFileSync(PYTHON, ['-c', script, mailDir, into], { encoding: 'utf8' })) as ReceivedMail[];
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
