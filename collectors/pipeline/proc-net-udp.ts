// Linux's view of UDP sockets (/proc/net/udp, udp6): per-socket drops and receive queue, for collector health.

export interface UdpSocketRow {
  port: number;
  /** Bytes waiting in the receive queue, not yet read. */
  rxQueue: number;
  /** Datagrams the kernel dropped on this socket since it opened (receive buffer full). */
  drops: number;
}

/** The rows for sockets bound to these local ports; none where /proc is not Linux's. */
export function udpSockets(ports: readonly number[], read: (file: string) => string): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = read(file);
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
      const cols = line.trim().split(/\s+/);
      const port = parseInt(cols[1]?.split(':')[1] ?? '', 16);
      if (!ports.includes(port)) continue;
      rows.push({ port, rxQueue: parseInt(cols[4]?.split(':')[1] ?? '0', 16) || 0, drops: Number(cols[cols.length - 1]) || 0 });
    }
  }
  return rows;
}
