#!/usr/bin/env python3
"""Write every UDP datagram received on 127.0.0.1:PORT as one hex line to OUT, until IDLE seconds pass quietly."""
import socket, sys
port, out, idle = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 3
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(('127.0.0.1', port))
s.settimeout(idle)
lines = []
try:
    while True:
        lines.append(s.recvfrom(65535)[0].hex())
except socket.timeout:
    pass
open(out, 'w').write('\n'.join(lines) + '\n')
print(f'{out}: {len(lines)} datagrams', file=sys.stderr)
