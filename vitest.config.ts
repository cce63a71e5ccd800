// Two projects: unit tests beside the code, and integration tests in test/ that start real servers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['collectors/**/*.test.ts', 'store/**/*.test.ts', 'config/**/*.test.ts', 'cli/**/*.test.ts', 'rating/**/*.test.ts', 'billing-export/**/*.test.ts', 'reconcile/**/*.test.ts', 'portal/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // Each file starts its own servers on free ports; run files one at a time so two cores are not oversubscribed.
          fileParallelism: false,
        },
      },
    ],
  },
});
