// One poll's reads from a device: every menu its tables need, printed with a `.proplist`, pipelined on one session.
import type { ApiConnection } from './api-connection.js';
import type { Table } from './config.js';
import type { DeviceRows } from './table-readings.js';

/** The API's `.proplist` for each menu: only what is read, so a big router's reply stays small. */
export const PROPLISTS = {
  '/queue/simple': '.id,name,target,comment,dynamic,bytes',
  '/ppp/active': '.id,name,service,caller-id,address,uptime,session-id',
  '/ip/hotspot/active': '.id,user,mac-address,address,uptime,bytes-in,bytes-out',
  '/interface': '.id,name,type,comment,dynamic,rx-byte,tx-byte',
  '/system/resource': 'uptime',
} as const;

/** Tags keep the pipelined replies apart; the reads are as close together in time as the router answers them. */
export async function readDevice(conn: ApiConnection, tables: readonly Table[], timeoutMs: number): Promise<DeviceRows & { uptime?: string }> {
  const print = async (menu: keyof typeof PROPLISTS): Promise<Record<string, string>[]> => (await conn.command([`${menu}/print`, `=.proplist=${PROPLISTS[menu]}`], timeoutMs)).rows;
  const want = (t: Table): boolean => tables.includes(t);
  const [resource, queues, ppp, hotspot, interfaces] = await Promise.all([
    print('/system/resource'),
    want('queues') ? print('/queue/simple') : undefined,
    want('ppp') ? print('/ppp/active') : undefined,
    want('hotspot') ? print('/ip/hotspot/active') : undefined,
    want('interfaces') || want('ppp') ? print('/interface') : undefined,
  ]);
  return { uptime: resource[0]?.uptime, queues, ppp, hotspot, interfaces };
}
