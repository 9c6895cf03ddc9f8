import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

/**
 * Every label the console shows comes from these tables (a test fails on a literal in JSX:
 * test/console/i18n.test.ts). Keys are typed: `t('no.such.key')` does not compile, and
 * zh-CN must have every key en has (its type is Record<MessageKey, string>).
 */
export const LANGUAGES = [
  { code: 'en', table: en },
  { code: 'zh-CN', table: zhCN },
] as const satisfies readonly { code: string; table: Record<MessageKey, string> }[];

export type Language = (typeof LANGUAGES)[number]['code'];
export type { MessageKey };

const STORAGE_KEY = 'loyalty-console.language';

/** `{name}` in a message is replaced by vars.name. */
export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
  /**
   * Numbers, dates and date-times in the language's own format. A date or time is on the
   * browser's clock unless `timeZone` is given: a value the operator types in the programme's
   * zone (a reward's or a benefit's validity) is shown back in that zone.
   */
  formatNumber: (n: number, options?: Intl.NumberFormatOptions) => string;
  formatDate: (iso: string | null | undefined, timeZone?: string) => string;
  formatDateTime: (iso: string | null | undefined, timeZone?: string) => string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLanguage(): Language {
  const stored = safeStorage()?.getItem(STORAGE_KEY);
  if (stored && LANGUAGES.some((l) => l.code === stored)) return stored as Language;
  return navigator.language?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function translate(table: Record<MessageKey, string>, key: MessageKey, vars?: Vars): string {
  // A count of one takes the message's singular where the table has one (`<key>.one`: "1 condition").
  const one = vars?.count === 1 && `${key}.one` in en ? (`${key}.one` as MessageKey) : null;
  const message = (one ? table[one] ?? en[one] : undefined) ?? table[key] ?? en[key] ?? key;
  return vars ? message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole)) : message;
}

/** The table the provider shows now, for text made outside a component (graphql/errors.ts: a server's refusal). */
let shown: Record<MessageKey, string> = en;

/** `t` outside React: in the language the console shows now. */
export function translateNow(key: MessageKey, vars?: Vars): string {
  return translate(shown, key, vars);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const setLanguage = useCallback((next: Language) => {
    safeStorage()?.setItem(STORAGE_KEY, next);
    setLanguageState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const value = useMemo<I18n>(() => {
    const table = LANGUAGES.find((l) => l.code === language)!.table;
    shown = table;
    const number = new Intl.NumberFormat(language);
    const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium' });
    const dateTime = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
    return {
      language,
      setLanguage,
      t: (key, vars) => translate(table, key, vars),
      formatNumber: (n, options) => (options ? new Intl.NumberFormat(language, options).format(n) : number.format(n)),
      formatDate: (iso, timeZone) => (!iso ? '—' : timeZone ? new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone }).format(new Date(iso)) : date.format(new Date(iso))),
      formatDateTime: (iso, timeZone) => (!iso ? '—' : timeZone ? new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso)) : dateTime.format(new Date(iso))),
    };
  }, [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside <I18nProvider>');
  return i18n;
}

/** The translate function alone, for components that only show labels. */
export function useT(): Translate {
  return useI18n().t;
}

/** The language switch (header): a labelled select, the choice kept in localStorage. */
export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t('shell.language')}</span>
      <select value={language} onChange={(e) => setLanguage(e.target.value as Language)} data-testid="language-switch">
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {translate(l.table, 'language.name')}
          </option>
        ))}
      </select>
    </label>
  );
}
