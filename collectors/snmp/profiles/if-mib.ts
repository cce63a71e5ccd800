// IF-MIB (RFC 2863): interface byte counters, 64-bit ifHC* where the agent has them, else the 32-bit ifTable ones.
//
// Direction: interface counters count from the device's side. On an interface that faces the subscriber (a
// router's customer VLAN, PPPoE or wireless interface; `facing: subscriber`, the default) what the device sends
// out is the subscriber's download: ifOutOctets → bytesDown, ifInOctets → bytesUp. On an interface that faces the
// network (a CPE's WAN port; `facing: upstream`) it is the other way round.
import type { Profile, ProfileReading } from './profile.js';
import { bump, counter, indices, int, text } from './profile.js';

export const IF_MIB = {
  ifDescr: '1.3.6.1.2.1.2.2.1.2',
  ifOperStatus: '1.3.6.1.2.1.2.2.1.8',
  ifInOctets: '1.3.6.1.2.1.2.2.1.10',
  ifOutOctets: '1.3.6.1.2.1.2.2.1.16',
  ifName: '1.3.6.1.2.1.31.1.1.1.1',
  ifHCInOctets: '1.3.6.1.2.1.31.1.1.1.6',
  ifHCOutOctets: '1.3.6.1.2.1.31.1.1.1.10',
  ifAlias: '1.3.6.1.2.1.31.1.1.1.18',
  ifCounterDiscontinuityTime: '1.3.6.1.2.1.31.1.1.1.19',
} as const;

const COLUMNS = [
  IF_MIB.ifDescr, IF_MIB.ifOperStatus, IF_MIB.ifInOctets, IF_MIB.ifOutOctets,
  IF_MIB.ifName, IF_MIB.ifHCInOctets, IF_MIB.ifHCOutOctets, IF_MIB.ifAlias, IF_MIB.ifCounterDiscontinuityTime,
] as const;

export const ifMibProfile: Profile = {
  id: 'if-mib',
  columns: COLUMNS,
  read(columns, rules): ProfileReading {
    const [descr, oper, in32, out32, name, inHC, outHC, alias, disc] = columns;
    const rule = rules['if-mib'];
    const out: ProfileReading = { rows: [], skipped: {} };
    for (const idx of indices(columns)) {
      // 64-bit when the agent has both; a device without ifXTable (or a v1-era interface) has only the 32-bit pair.
      const hcIn = counter(inHC?.get(idx));
      const hcOut = counter(outHC?.get(idx));
      const inOctets = hcIn && hcOut ? hcIn : counter(in32?.get(idx));
      const outOctets = hcIn && hcOut ? hcOut : counter(out32?.get(idx));
      if (!inOctets || !outOctets) {
        bump(out.skipped, 'if_no_counters');
        continue;
      }
      const ifName = text(name?.get(idx));
      const ifDescr = text(descr?.get(idx));
      const key = rule.from === 'alias' ? text(alias?.get(idx)) : rule.from === 'name' ? ifName : ifDescr;
      const upstream = rule.facing === 'upstream';
      const status = int(oper?.get(idx));
      const discontinuity = int(disc?.get(idx));
      out.rows.push({
        key: `if:${idx}`,
        label: ifName || ifDescr || `ifIndex ${idx}`,
        subscriberKey: key || undefined,
        down: upstream ? inOctets : outOctets,
        up: upstream ? outOctets : inOctets,
        ...(discontinuity !== undefined ? { discontinuity } : {}),
        health: status !== undefined ? { oper_up: status === 1n ? 1 : 0 } : {},
      });
    }
    return out;
  },
};
