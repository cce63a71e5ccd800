// One daemon per data dir: two writers on one spool would interleave frames and corrupt it.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLock {
  private readonly file: string;
  private held = false;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'wispmeter.pid');
  }

  acquire(): void {
    mkdirSync(join(this.file, '..'), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(readFileSync(this.file, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
          throw new Error(`data dir is in use by process ${pid} (${this.file}); stop it first or use another --data-dir`);
        }
        // A pid file left by a process that died (kill -9, power loss): take it over.
        rmSync(this.file, { force: true });
      }
    }
    throw new Error(`could not lock ${this.file}`);
  }

  release(): void {
    if (this.held) rmSync(this.file, { force: true });
    this.held = false;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
