// The real-server harness itself: free ports, a clear error for a missing binary, two influxd side by side.
import { describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { startInfluxd } from './influxd.js';
import { findBinary } from './server-process.js';

describe('test servers', () => {
  it('freePort gives distinct bindable ports', async () => {
    const [a, b] = [await freePort(), await freePort()];
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });

  it('names the package to install when a binary is missing', () => {
    expect(() => findBinary('no-such-influxd-binary', 'apt-get install influxdb')).toThrow(
      'no-such-influxd-binary not found on PATH: these integration tests need the real server; install it with "apt-get install influxdb"',
    );
  });

  it('runs two influxd at once: every listener (HTTP and the 8088 RPC one) is on its own loopback port', async () => {
    const [a, b] = await Promise.all([startInfluxd(), startInfluxd()]);
    try {
      expect(a.port).not.toBe(b.port);
      expect((await fetch(`${a.url}/ping`)).status).toBe(204);
      expect((await fetch(`${b.url}/ping`)).status).toBe(204);
      await a.kill();
      await expect(fetch(`${a.url}/ping`)).rejects.toThrow();
      await a.restart();
      expect((await fetch(`${a.url}/ping`)).status).toBe(204);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });
});
