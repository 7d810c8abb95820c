import { randomUUID } from 'node:crypto';

/** A new random id: a UUID, whose alphabet fits the id rules of contracts. */
export const newId = (): string => randomUUID();
