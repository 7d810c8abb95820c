import { defineConfig } from 'vitest/config';

// One run over every package; each package's own vitest.config.ts names its files and timeouts.
export default defineConfig({
  test: {
    projects: [
      'contracts',
      'platform',
      'command-service',
      'query-service',
      'rules-service',
      'scheduler-service',
      'realtime-gateway',
      'infra',
      'testkit',
      'e2e',
    ],
  },
});
