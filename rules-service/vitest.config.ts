import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'rules-service',
    include: ['src/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
