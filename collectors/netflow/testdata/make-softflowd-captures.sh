#!/bin/sh
# Regenerates softflowd-v{5,9,10}.hex and truth.json: mkpcap traffic replayed by Debian's softflowd 1.1.0.
# Needs: apt-get install softflowd; python3. Run from this folder. The captures embed the time they were made;
# the tests compare bytes per address, not times, so they stay valid.
set -eu
TOOLS=${TOOLS:-/work/shared/tools}
PORT=${PORT:-39555}
python3 "$TOOLS/mkpcap.py" /tmp/wispmeter-softflowd.pcap --subs 50 --packets 20000 --seed 11 --span 1800 > truth.json
for v in 5 9 10; do
  python3 receive-udp.py "$PORT" "softflowd-v$v.hex" 3 &
  sleep 0.5
  CTL=/tmp/wispmeter-softflowd-$v.ctl
  softflowd -r /tmp/wispmeter-softflowd.pcap -n "127.0.0.1:$PORT" -v "$v" -d -c "$CTL" -p "/tmp/wispmeter-softflowd-$v.pid" > /dev/null &
  SF=$!
  # softflowd -r may wait on its control socket before reading the capture: poking it lets it go on.
  while kill -0 "$SF" 2>/dev/null; do softflowctl -c "$CTL" statistics > /dev/null 2>&1 || true; sleep 0.5; done
  wait
done
rm -f /tmp/wispmeter-softflowd.pcap
