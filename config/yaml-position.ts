// Maps key paths to lines of the YAML source and back, so every config problem names its line.
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';

export type KeyPath = readonly (string | number)[];

/** `radius.clients[1].secret`; the empty path is the document itself. */
export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

/** Positions of keys in one parsed document. */
export class YamlPositions {
  constructor(private readonly doc: Document, private readonly lines: LineCounter) {}

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  /**
   * Line of the deepest part of `path` that exists: the key's own line for a mapping entry, the item's line
   * for a list entry. A missing key therefore reports the line of its parent mapping.
   */
  lineOf(path: KeyPath): number {
    let node = this.resolve(this.doc.contents);
    let line = node?.range ? this.lineAt(node.range[0]) : 1;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = lastPair(node.items, seg);
        if (!pair) break;
        const at = rangeStart(pair.key) ?? rangeStart(pair.value);
        if (at !== undefined) line = this.lineAt(at);
        node = this.resolve(pair.value);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        const at = rangeStart(item);
        if (at === undefined) break;
        line = this.lineAt(at);
        node = this.resolve(item);
      } else {
        break;
      }
    }
    return line;
  }

  /** Key path of the mapping key or list item that starts closest before `offset` (for YAML errors). */
  pathAt(offset: number): (string | number)[] {
    const path: (string | number)[] = [];
    let node = this.resolve(this.doc.contents);
    for (let depth = 0; depth < 64 && node; depth++) {
      let next: { seg: string | number; value: unknown } | undefined;
      if (isMap(node)) {
        for (const pair of node.items) {
          const start = rangeStart(pair.key);
          if (start !== undefined && start <= offset) next = { seg: keyName(pair.key), value: pair.value };
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          const start = rangeStart(item);
          if (start !== undefined && start <= offset) next = { seg: i, value: item };
        });
      }
      if (!next) break;
      path.push(next.seg);
      node = this.resolve(next.value);
    }
    return path;
  }

  private resolve(node: unknown): Node | undefined {
    if (isAlias(node)) return node.resolve(this.doc) ?? undefined;
    return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
  }
}

function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

// With duplicate keys the value read is the last one, so the last pair is the one to point at.
function lastPair(items: readonly Pair<unknown, unknown>[], seg: string | number): Pair<unknown, unknown> | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const pair = items[i]!;
    if (keyName(pair.key) === String(seg)) return pair;
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  if (isMap(node) || isSeq(node) || isScalar(node) || isAlias(node)) return node.range?.[0];
  return undefined;
}
