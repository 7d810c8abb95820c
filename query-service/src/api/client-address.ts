import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell the client's address in `X-Forwarded-For` (`TRUST_PROXY`): none (the default: the TCP
 * peer is the client), the nearest `hops` proxies whatever their addresses, or the peers inside `subnets`.
 */
export type ProxyTrust = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'subnets'; subnets: BlockList };

/** Shorthands for the usual private ranges, as Express's `trust proxy` names them. */
const NAMED_SUBNETS: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * `TRUST_PROXY`: empty, `false` or `0` trusts nobody; a positive integer trusts that many hops; otherwise a comma
 * list of addresses, CIDRs and the names `loopback`, `linklocal`, `uniquelocal`. Throws on anything else, so a
 * typo stops the start instead of silently trusting nobody (or everybody).
 */
export function parseProxyTrust(value: string | undefined): ProxyTrust {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false' || text === '0') return { kind: 'none' };
  if (/^\d+$/.test(text)) return { kind: 'hops', hops: Number(text) };
  const subnets = new BlockList();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    for (const entry of NAMED_SUBNETS[item] ?? [item]) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address);
      const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
        throw new Error(`${JSON.stringify(item)} is not an address, a CIDR, loopback, linklocal or uniquelocal`);
      subnets.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }
  return { kind: 'subnets', subnets };
}

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) → `10.0.0.1`; anything else unchanged. */
function plain(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function trusted(trust: ProxyTrust, address: string, hop: number): boolean {
  if (trust.kind === 'none') return false;
  if (trust.kind === 'hops') return hop < trust.hops;
  const family = isIP(address);
  return family !== 0 && trust.subnets.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address for per-address budgets: the TCP peer, unless the peer is a trusted proxy; then the
 * address it forwarded (the right-most entry of `X-Forwarded-For`), and so on leftwards while each address is
 * itself trusted. Entries left of the first untrusted one are whatever the client wrote, so they are never read:
 * a client cannot buy a fresh budget by sending its own `X-Forwarded-For`.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trust: ProxyTrust,
): string {
  let address = plain(peer ?? 'unknown');
  if (trust.kind === 'none' || forwardedFor === undefined) return address;
  const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((a) => plain(a.trim()))
    .filter(Boolean)
    .reverse();
  for (let hop = 0; hop < chain.length && trusted(trust, address, hop); hop += 1) {
    const next = chain[hop]!;
    if (isIP(next) === 0) break; // garbage from the client or a misconfigured proxy: stop at the last proxy
    address = next;
  }
  return address;
}
