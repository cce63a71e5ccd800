// Collector state carried by the spool: the live maps, and the checkpoint file that lets segments be deleted.
import { readFile } from 'node:fs/promises';
import type { StateChange } from './spool-types.js';
import { isErrnoException, writeFileAtomic } from './spool-files.js';
import { reviveBigints, stateReplacer } from './spool-frame.js';

export type StateMaps = Map<string, Map<string, unknown>>;

export function applyStateChanges(state: StateMaps, changes: readonly StateChange[]): void {
  for (const c of changes) {
    let scope = state.get(c.scope);
    if (c.value === null) {
      scope?.delete(c.key);
      continue;
    }
    if (!scope) state.set(c.scope, (scope = new Map()));
    scope.set(c.key, c.value);
  }
}

export function copyState(state: StateMaps): StateMaps {
  return new Map([...state].map(([scope, m]) => [scope, new Map(m)]));
}

/** The checkpoint covers every entry that starts before `offset`; replay starts there. */
export interface StateCheckpoint {
  offset: number;
  state: StateMaps;
}

interface CheckpointJson {
  version: 1;
  offset: number;
  scopes: Record<string, [string, unknown][]>;
}

/** Serialized synchronously so the snapshot and its offset cannot drift apart while the write is in flight. */
export function serializeCheckpoint(offset: number, state: StateMaps): string {
  const scopes: Record<string, [string, unknown][]> = {};
  for (const [scope, m] of state) scopes[scope] = [...m];
  const doc: CheckpointJson = { version: 1, offset, scopes };
  return JSON.stringify(doc, stateReplacer);
}

export async function writeCheckpoint(path: string, serialized: string): Promise<void> {
  await writeFileAtomic(path, serialized, { syncDir: true });
}

/** undefined when there is no checkpoint yet; throws when the file exists but cannot be parsed. */
export async function readCheckpoint(path: string): Promise<StateCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return undefined;
    throw e;
  }
  const doc = JSON.parse(text) as Partial<CheckpointJson>;
  if (doc.version !== 1 || typeof doc.offset !== 'number' || doc.scopes === null || typeof doc.scopes !== 'object') {
    throw new Error(`${path}: not a spool state checkpoint (version 1)`);
  }
  const state: StateMaps = new Map();
  for (const [scope, pairs] of Object.entries(doc.scopes)) {
    state.set(scope, new Map(pairs.map(([k, v]) => [k, reviveBigints(v)] as const)));
  }
  return { offset: doc.offset, state };
}
