import { describe, expect, it } from 'vitest';
import { clientAddress, parseProxyTrust } from './client-address.js';

describe('clientAddress', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const none = parseProxyTrust(undefined);
    expect(clientAddress('203.0.113.9', '1.2.3.4', none)).toBe('203.0.113.9');
    expect(clientAddress('::ffff:127.0.0.1', '1.2.3.4', parseProxyTrust('false'))).toBe('127.0.0.1');
  });

  it('walks X-Forwarded-For from the right while the address is a trusted proxy', () => {
    const trust = parseProxyTrust('loopback, 10.0.0.0/8');
    expect(clientAddress('127.0.0.1', '198.51.100.7', trust)).toBe('198.51.100.7');
    // The client wrote 6.6.6.6 itself; the trusted proxies appended what they saw.
    expect(clientAddress('::1', '6.6.6.6, 198.51.100.7, 10.1.2.3', trust)).toBe('198.51.100.7');
    // Two trusted proxies (one an IPv4 peer of a dual-stack socket): what the outer one saw is the client.
    expect(clientAddress('::ffff:10.0.0.5', ['6.6.6.6', '10.9.9.9'], trust)).toBe('6.6.6.6');
    // An untrusted peer's header is ignored.
    expect(clientAddress('203.0.113.9', '1.2.3.4', trust)).toBe('203.0.113.9');
    // Garbage stops the walk at the last proxy.
    expect(clientAddress('127.0.0.1', 'not-an-ip', trust)).toBe('127.0.0.1');
    // A trusted peer with every hop trusted: the left-most address is the client.
    expect(clientAddress('127.0.0.1', '10.0.0.1', trust)).toBe('10.0.0.1');
  });

  it('trusts a number of hops whatever their addresses', () => {
    const one = parseProxyTrust('1');
    expect(clientAddress('203.0.113.9', '6.6.6.6, 198.51.100.7', one)).toBe('198.51.100.7');
    expect(clientAddress('203.0.113.9', '6.6.6.6, 198.51.100.7', parseProxyTrust('2'))).toBe('6.6.6.6');
    expect(clientAddress('203.0.113.9', undefined, one)).toBe('203.0.113.9');
  });

  it('refuses a setting it cannot read', () => {
    expect(() => parseProxyTrust('127.0.0.1/33')).toThrow(/is not an address, a CIDR/);
    expect(() => parseProxyTrust('proxy.internal')).toThrow(/is not an address, a CIDR/);
    expect(() => parseProxyTrust('true')).toThrow(/is not an address, a CIDR/);
  });
});
