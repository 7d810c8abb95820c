import { randomBytes } from 'node:crypto';

/**
 * A fresh namespace and read-model schema, so that a test or benchmark system shares nothing with any other
 * system on the same NATS and Postgres. `label` (lowercase letters) says who made it, in stream names.
 */
export function isolatedNames(label = 't'): { namespace: string; schema: string } {
  if (!/^[a-z]{1,7}$/.test(label)) throw new Error('label must be 1-7 lowercase letters');
  // CM_NAMESPACE allows 16 characters: label + 8 hex digits always fits.
  const namespace = `${label}${randomBytes(4).toString('hex')}`;
  return { namespace, schema: `cm_${namespace}` };
}
