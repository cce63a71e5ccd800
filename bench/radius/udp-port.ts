// A free UDP port on 127.0.0.1 for a RADIUS listener, found by letting the kernel pick one and releasing it.
import { createSocket } from 'node:dgram';

export async function freeUdpPort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.unref();
    socket.once('error', (err) => reject(new Error('freeUdpPort: could not bind 127.0.0.1:0', { cause: err })));
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => (port > 0 ? resolve(port) : reject(new Error('freeUdpPort: kernel returned no port'))));
    });
  });
}
