import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'realtime-gateway',
    include: ['src/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
