// CPU seconds from /proc (Linux), to tell the server's cost apart from radclient's on a host where both share the cores.
import { readFileSync } from 'node:fs';

/** User+system CPU seconds of a running process; undefined where /proc is not available. */
export function processCpuSeconds(pid: number): number | undefined {
  return statFields(`/proc/${pid}/stat`, 11, 12);
}

/** CPU seconds of this process's children that have exited and been reaped (cutime + cstime). */
export function reapedChildrenCpuSeconds(): number | undefined {
  return statFields('/proc/self/stat', 13, 14);
}

// Fields after "(comm) ": index 11/12 are utime/stime, 13/14 cutime/cstime, in clock ticks (100 Hz on Linux).
function statFields(file: string, a: number, b: number): number | undefined {
  try {
    const rest = readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(rest[a]) + Number(rest[b]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}
