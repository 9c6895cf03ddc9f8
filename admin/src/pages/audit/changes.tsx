import { useI18n, type Translate } from '../../i18n';

/**
 * What an audit entry (or a pair of benefit versions) changed: `before` and `after` are JSON
 * text of the fields the change touched (a whole rule for a benefit), either may be null (a
 * creation, a removal). A value that is not an object counts as one field, `value`.
 */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export function parseJsonObject(text: string | null | undefined): Record<string, unknown> | null {
  if (text == null || text === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    return { value };
  } catch {
    return { value: text };
  }
}

/** The fields whose value differs, in the order they first appear (after's, then before's). */
export function changedFields(before: Record<string, unknown> | null, after: Record<string, unknown> | null): FieldChange[] {
  const keys = [...new Set([...Object.keys(after ?? {}), ...Object.keys(before ?? {})])];
  return keys
    .map((field) => ({ field, before: before?.[field], after: after?.[field] }))
    .filter((c) => JSON.stringify(c.before ?? null) !== JSON.stringify(c.after ?? null));
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A field's value for reading: none as a dash, lists joined, instants in the operator's language, yes/no translated. */
export function formatValue(value: unknown, t: Translate, formatDateTime: (iso: string) => string): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return t(value ? 'value.yes' : 'value.no');
  if (Array.isArray(value)) return value.length ? value.map((v) => formatValue(v, t, formatDateTime)).join(', ') : '—';
  if (typeof value === 'string') return ISO_INSTANT.test(value) ? formatDateTime(value) : value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/**
 * An audit entry's changes as a list: field, the value before, the value after; instants in
 * `timeZone` when given (the audit log's, the programme's zone its day filter uses), else the browser's.
 */
export function AuditChanges({ before, after, timeZone }: { before: string | null | undefined; after: string | null | undefined; timeZone?: string }) {
  const { t, formatDateTime } = useI18n();
  const changes = changedFields(parseJsonObject(before), parseJsonObject(after));
  if (!changes.length) return <span className="muted">—</span>;
  const show = (v: unknown) => formatValue(v, t, (iso) => formatDateTime(iso, timeZone));
  return (
    <ul className="changes">
      {changes.map((c) => (
        <li key={c.field}>
          <code>{c.field}</code>{': '}
          {c.before === undefined ? null : <><del><span className="visually-hidden">{t('audit.changeBefore')} </span>{show(c.before)}</del>{' → '}</>}
          <ins><span className="visually-hidden">{t('audit.changeAfter')} </span>{show(c.after)}</ins>
        </li>
      ))}
    </ul>
  );
}
