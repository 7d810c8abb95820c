import { AppError, ErrorCode } from '@cm/contracts';
import type { StoredValue } from '../read-model/read-model.adapter.js';

/**
 * Per-campaign settings of the timed work: number state variables on the campaign (owner type `campaign`, owner id
 * the campaign id) in the branch the job runs for. A missing key takes its default; a key of another type fails
 * the job with `VALIDATION` (redelivered, then parked until someone fixes the variable).
 */
export const SETTINGS = {
  /** Fraction a settlement's population grows per growth window (a settlement's own `growthRate` wins). */
  settlementGrowthRate: { default: 0.02, min: -1, max: 10 },
  /** Population cap per settlement level: the cap is `max(level, 1) × this`. */
  settlementPopulationPerLevel: { default: 1000, min: 0, max: 1e12 },
  /** Condition points a structure loses per maintenance window (a structure's own `decayRate` wins). */
  structureDecayRate: { default: 1, min: 0, max: 100 },
  /** Below this condition a structure is flagged with `needsRepair = true`. */
  structureRepairThreshold: { default: 25, min: 0, max: 100 },
} as const;
export type SettingKey = keyof typeof SETTINGS;
export type Settings = Record<SettingKey, number>;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** Reads a number variable within bounds, or throws `VALIDATION` naming the variable. */
export function numberValue(
  v: StoredValue | null | undefined,
  what: string,
  bounds: { min: number; max: number },
): number | undefined {
  if (!v) return undefined;
  if (
    v.type !== 'number' ||
    typeof v.value !== 'number' ||
    !Number.isFinite(v.value) ||
    v.value < bounds.min ||
    v.value > bounds.max
  ) {
    throw new AppError(ErrorCode.VALIDATION, `${what} must be a number in [${bounds.min}, ${bounds.max}]`, {
      got: v.value ?? null,
      type: v.type,
    });
  }
  return v.value;
}

export function resolveSettings(stored: ReadonlyMap<string, StoredValue>): Settings {
  const out = {} as Settings;
  for (const key of SETTING_KEYS)
    out[key] = numberValue(stored.get(key), `campaign setting ${key}`, SETTINGS[key]) ?? SETTINGS[key].default;
  return out;
}
