import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@cm/platform';
import { loadRealtimeConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'rt-config-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
writeFileSync(cert, 'CERT');
writeFileSync(key, 'KEY');
const load = (env: Record<string, string>) => loadRealtimeConfig({ NODE_ENV: 'test', ...env });

describe('the listener the gateway config asks for', () => {
  it('is plain HTTP/1.1 by default, h2c when asked', () => {
    expect(load({}).listener).toEqual({ kind: 'http1' });
    expect(load({ REALTIME_HTTP2: 'h2c' }).listener).toEqual({ kind: 'h2c' });
  });

  it('is TLS with HTTP/2 when a certificate and key are set, HTTP/1.1 over TLS with REALTIME_HTTP2=off', () => {
    const tls = load({ REALTIME_TLS_CERT: cert, REALTIME_TLS_KEY: key }).listener;
    expect(tls).toMatchObject({ kind: 'tls', http2: true });
    expect(tls.kind === 'tls' && tls.cert.toString()).toBe('CERT');
    expect(load({ REALTIME_TLS_CERT: cert, REALTIME_TLS_KEY: key, REALTIME_HTTP2: 'off' }).listener).toMatchObject({
      kind: 'tls',
      http2: false,
    });
  });

  it.each([
    [{ REALTIME_TLS_CERT: cert }, /set both or neither/],
    [{ REALTIME_TLS_CERT: cert, REALTIME_TLS_KEY: key, REALTIME_HTTP2: 'h2c' }, /h2c is cleartext/],
    [{ REALTIME_TLS_CERT: cert, REALTIME_TLS_KEY: join(dir, 'missing.pem') }, /REALTIME_TLS_KEY: cannot read/],
    [{ REALTIME_HTTP2: 'h3' }, /REALTIME_HTTP2/],
  ])('refuses %j with a ConfigError naming the variable', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
