// In-order processing with the next few reads already in flight: the store (read workers, a server) answers them
// while the caller rates the item it is on. Memory holds at most `ahead` reads.

/** Yields each item with the result of `read(item)`, in order, keeping up to `ahead` reads in flight. */
export async function* readAhead<T, R>(items: readonly T[], ahead: number, read: (item: T) => Promise<R>): AsyncGenerator<[T, R]> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  for (const item of items) {
    while (next < items.length && inFlight.length < Math.max(1, ahead)) {
      const r = read(items[next++]!);
      // Awaited in turn below; until then a failure must not count as unhandled.
      r.catch(() => undefined);
      inFlight.push(r);
    }
    yield [item, await inFlight.shift()!];
  }
}
