import { describe, expect, it } from 'vitest';
import { ConfigError } from '@cm/platform';
import { loadSchedulerConfig } from './config.js';

describe('scheduler configuration', () => {
  it('defaults to the seeds crons and a day of catch-up', () => {
    const config = loadSchedulerConfig({});
    expect([config.CRON_EVENT_EXPIRATION, config.CRON_SETTLEMENT_GROWTH, config.CRON_STRUCTURE_MAINTENANCE]).toEqual([
      '*/5 * * * *',
      '0 * * * *',
      '0 * * * *',
    ]);
    expect(config.SCHEDULER_CATCHUP_HORIZON).toBe(86_400_000);
  });

  it('takes six-field crons and duration units', () => {
    const config = loadSchedulerConfig({ CRON_SETTLEMENT_GROWTH: '*/2 * * * * *', SCHEDULER_CATCHUP_HORIZON: '90s' });
    expect(config.CRON_SETTLEMENT_GROWTH).toBe('*/2 * * * * *');
    expect(config.SCHEDULER_CATCHUP_HORIZON).toBe(90_000);
  });

  it('names the bad variable', () => {
    expect(() => loadSchedulerConfig({ CRON_STRUCTURE_MAINTENANCE: 'every hour' })).toThrow(
      /CRON_STRUCTURE_MAINTENANCE/,
    );
    expect(() => loadSchedulerConfig({ SCHEDULER_CATCHUP_HORIZON: 'soon' })).toThrow(ConfigError);
  });
});
