// Free TCP and UDP ports on 127.0.0.1, found by letting the kernel pick one and releasing it.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => reject(new Error('freePort: could not bind 127.0.0.1:0', { cause: err })));
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: kernel returned no port'))));
    });
  });
}

/** A UDP port free on 127.0.0.1 right now (freePort asks TCP, whose free ports need not be free for UDP). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new Error('freeUdpPort: could not bind 127.0.0.1:0', { cause: err })));
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return socket.address().port;
  } finally {
    socket.close();
  }
}
