/**
 * The names the browser's ICU still gives zones that IANA has since renamed, with IANA's current
 * name: the server stores the current one (src/common/local-time.rules.ts IANA_NAME_OF_ICU; a
 * test holds the two maps equal), so the list offers that and a stored Asia/Kolkata is known.
 */
export const IANA_NAME_OF_ICU: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara', 'America/Buenos_Aires': 'America/Argentina/Buenos_Aires', 'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba', 'America/Jujuy': 'America/Argentina/Jujuy', 'America/Mendoza': 'America/Argentina/Mendoza',
  'America/Coral_Harbour': 'America/Atikokan', 'America/Indianapolis': 'America/Indiana/Indianapolis', 'America/Louisville': 'America/Kentucky/Louisville',
  'America/Godthab': 'America/Nuuk', 'Asia/Saigon': 'Asia/Ho_Chi_Minh', 'Asia/Katmandu': 'Asia/Kathmandu', 'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Rangoon': 'Asia/Yangon', 'Atlantic/Faeroe': 'Atlantic/Faroe', 'Europe/Kiev': 'Europe/Kyiv', 'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Enderbury': 'Pacific/Kanton', 'Pacific/Ponape': 'Pacific/Pohnpei',
};

/** The IANA time zones this browser knows, by their current IANA names (as the server stores them), UTC first. */
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
