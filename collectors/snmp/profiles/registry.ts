// The profiles by id, and which ones `auto` picks for a device by its sysObjectID.
import type { ProfileId } from '../config.js';
import { airmaxStationProfile } from './airmax-station.js';
import { ifMibProfile } from './if-mib.js';
import { mikrotikQueueProfile } from './mikrotik-queue.js';
import type { Profile } from './profile.js';

export const PROFILES: Record<ProfileId, Profile> = {
  'if-mib': ifMibProfile,
  'mikrotik-queue': mikrotikQueueProfile,
  'airmax-station': airmaxStationProfile,
};

// sysObjectID prefixes: MikroTik's enterprise (14988), Ubiquiti airOS (41112; 10002 on older airOS M firmware).
const VENDORS: { prefix: string; profiles: ProfileId[] }[] = [
  { prefix: '1.3.6.1.4.1.14988.', profiles: ['if-mib', 'mikrotik-queue'] },
  { prefix: '1.3.6.1.4.1.41112.', profiles: ['if-mib', 'airmax-station'] },
  { prefix: '1.3.6.1.4.1.10002.', profiles: ['if-mib', 'airmax-station'] },
];

/** The profiles to poll: those listed, with `auto` expanded by sysObjectID (IF-MIB alone for other vendors). */
export function resolveProfiles(wanted: readonly ('auto' | ProfileId)[], sysObjectID: string | undefined): ProfileId[] {
  const out = new Set<ProfileId>();
  for (const w of wanted) {
    if (w !== 'auto') {
      out.add(w);
      continue;
    }
    const oid = (sysObjectID ?? '').replace(/^\./, '') + '.';
    const vendor = VENDORS.find((v) => oid.startsWith(v.prefix));
    for (const p of vendor?.profiles ?? ['if-mib']) out.add(p);
  }
  return [...out];
}
