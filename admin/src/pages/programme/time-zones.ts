import { IANA_NAME_OF_ICU } from '../../../../src/common/local-time.rules';

/**
 * The IANA time zones this browser knows, by their current IANA names, as the server stores them
 * (its IANA_NAME_OF_ICU: the browser's ICU still lists Asia/Calcutta for Asia/Kolkata), UTC first.
 */
export function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const named = [...new Set(zones.map((z) => IANA_NAME_OF_ICU[z] ?? z))].filter((z) => z !== 'UTC').sort();
  return ['UTC', ...named];
}

/**
 * The zone as the list spells it, matched whatever the case ('asia/shanghai' → 'Asia/Shanghai');
 * an older name the browser knows is its current one ('Asia/Calcutta' → 'Asia/Kolkata'); null when unknown.
 */
export function knownZone(text: string, zones: readonly string[]): string | null {
  const s = text.trim().toLowerCase();
  const old = Object.keys(IANA_NAME_OF_ICU).find((z) => z.toLowerCase() === s);
  const wanted = old ? IANA_NAME_OF_ICU[old].toLowerCase() : s;
  return zones.find((z) => z.toLowerCase() === wanted) ?? null;
}
