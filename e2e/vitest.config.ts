import { defineConfig } from 'vitest/config';

// Each e2e file starts the whole system as real processes; one file at a time keeps a 2-core machine sane.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['src/**/*.e2e.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
