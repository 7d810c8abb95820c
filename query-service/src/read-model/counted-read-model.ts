import type { ReadModel } from './read-model.port.js';

/**
 * The read model with every call reported by method name. Each method of the Postgres read model is one
 * statement whatever the number of keys (its contract), so the count is the API's round trips to the read
 * model: what `cm_read_model_calls_total` shows and the nested-query benchmark reads.
 */
export function countReadModelCalls(readModel: ReadModel, onCall: (method: string) => void): ReadModel {
  return new Proxy(readModel, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = String(prop);
      return (...args: unknown[]) => {
        onCall(method);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
