/** The IANA time zones this browser knows (the server checks with the same Intl data), UTC first. */
export function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

/** The zone as the list spells it, matched whatever the case ('asia/shanghai' → 'Asia/Shanghai'); null when unknown. */
export function knownZone(text: string, zones: readonly string[]): string | null {
  const s = text.trim().toLowerCase();
  return zones.find((z) => z.toLowerCase() === s) ?? null;
}
