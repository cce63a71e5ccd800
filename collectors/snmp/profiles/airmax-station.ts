// Ubiquiti airMAX stations (UBNT-AirMAX-MIB ubntStaTable, 1.3.6.1.4.1.41112.1.4.7), polled on the access point.
//
// Direction: the AP's ubntStaTxBytes is what the AP transmitted to the station — the subscriber's download — so
// TxBytes → bytesDown and RxBytes → bytesUp. (Polled on the CPE in station mode, the one row is the AP and the
// meaning flips: poll the APs.) Rows are indexed by (ubntWlStatIndex, ubntStaMac); a station that re-associates
// comes back with counters from zero.
import type { Profile, ProfileReading } from './profile.js';
import { bump, counter, indices, int, text } from './profile.js';

const ENTRY = '1.3.6.1.4.1.41112.1.4.7.1';
export const AIRMAX_STATION = {
  name: `${ENTRY}.2`,
  signal: `${ENTRY}.3`,
  ccq: `${ENTRY}.6`,
  amc: `${ENTRY}.9`,
  txBytes: `${ENTRY}.13`,
  rxBytes: `${ENTRY}.14`,
  txCapacity: `${ENTRY}.17`,
  rxCapacity: `${ENTRY}.18`,
  /** ubntWlStatNoiseFloor (dBm) of the radio, ubntWlStatTable, indexed by ubntWlStatIndex alone. */
  noiseFloor: '1.3.6.1.4.1.41112.1.4.5.1.8',
} as const;

const COLUMNS = [
  AIRMAX_STATION.name, AIRMAX_STATION.signal, AIRMAX_STATION.ccq, AIRMAX_STATION.amc,
  AIRMAX_STATION.txBytes, AIRMAX_STATION.rxBytes, AIRMAX_STATION.txCapacity, AIRMAX_STATION.rxCapacity,
  AIRMAX_STATION.noiseFloor,
] as const;

export const airmaxStationProfile: Profile = {
  id: 'airmax-station',
  columns: COLUMNS,
  read(columns, rules): ProfileReading {
    const [name, signal, ccq, amc, tx, rx, txCap, rxCap, noise] = columns;
    const rule = rules['airmax-station'];
    const out: ProfileReading = { rows: [], skipped: {} };
    // Rows are the station table's; the noise floor column (another table, indexed by radio) only adds to them.
    for (const idx of indices(columns.slice(0, -1))) {
      const mac = macFromIndex(idx);
      const down = counter(tx?.get(idx));
      const up = counter(rx?.get(idx));
      if (!mac) {
        bump(out.skipped, 'station_bad_index');
        continue;
      }
      if (!down || !up) {
        bump(out.skipped, 'station_no_counters');
        continue;
      }
      const staName = text(name?.get(idx));
      const health: Record<string, number> = {};
      const gauge = (field: string, v: bigint | undefined) => {
        if (v !== undefined) health[field] = Number(v);
      };
      gauge('signal_dbm', int(signal?.get(idx)));
      gauge('ccq_percent', int(ccq?.get(idx)));
      gauge('airmax_capacity_percent', int(amc?.get(idx)));
      gauge('tx_capacity_kbps', int(txCap?.get(idx)));
      gauge('rx_capacity_kbps', int(rxCap?.get(idx)));
      // The radio's noise floor, on each of its stations (their signal reads against it).
      gauge('noise_floor_dbm', int(noise?.get(idx.split('.')[0]!)));
      out.rows.push({
        key: `sta:${idx}`,
        label: mac,
        subscriberKey: (rule.from === 'mac' ? mac : staName) || undefined,
        down,
        up,
        health,
      });
    }
    return out;
  },
};

/** The station MAC from the row index "radio.m1.m2.m3.m4.m5.m6", as "04:18:d6:aa:bb:cc". */
export function macFromIndex(idx: string): string | undefined {
  const parts = idx.split('.').map(Number);
  if (parts.length !== 7 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.slice(1).map((p) => p.toString(16).padStart(2, '0')).join(':');
}
