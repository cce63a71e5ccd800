// The process logger: pino JSON lines, or pretty ones with --log-pretty; secrets are redacted by key.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const SECRET_PATHS = ['secret', 'password', 'token', '*.secret', '*.password', '*.token', '*.*.secret', '*.*.password', '*.*.token'];

export function createLogger(opts: { level: string; pretty: boolean; destination?: number }): Logger {
  const base = { level: opts.level, redact: { paths: SECRET_PATHS, censor: '[redacted]' } };
  if (opts.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: opts.destination ?? 2, colorize: true, translateTime: 'SYS:standard' } },
    });
  }
  // Logs go to stderr so that stdout stays for command output (tables, JSON) users pipe into scripts.
  return pino(base, pino.destination({ dest: opts.destination ?? 2, sync: false }));
}
