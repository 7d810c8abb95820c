import { describe, expect, it } from 'vitest';
import { orderServices } from './services.js';

describe('orderServices', () => {
  it('puts the command service first, since the others send it commands', () => {
    expect(orderServices(['query-service', 'command-service'])).toEqual(['command-service', 'query-service']);
    expect(orderServices(['query-api', 'query-projector', 'command-service'])).toEqual([
      'command-service',
      'query-api',
      'query-projector',
    ]);
  });

  it('rejects two processes on one port and unknown names', () => {
    expect(() => orderServices(['query-service', 'query-api'])).toThrow(/both would serve on the query port/);
    expect(() => orderServices(['command-service', 'nope' as never])).toThrow(/unknown service "nope"/);
  });
});
