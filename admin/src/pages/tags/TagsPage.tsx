import { useEffect, useMemo, useRef, useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import type { SegmentFilterInput, TagCategory, TagKind, TagsPageQuery as PageData } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { TAG_CATEGORY_LABEL, TAG_KIND_LABEL } from '../../i18n/enums';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { Empty, Page, Section } from '../../ui/Page';
import { useDebounced } from '../../ui/useDebounced';
import { useEditing } from '../../ui/useEditing';
import { FilterBuilder } from '../segments/FilterBuilder';
import { conditionCount, emptyDraft, filterIntErrors, fromFilter, toFilterInput, toSavedFilter, type Draft } from '../segments/filter';
import '../segments/segments.css';
import { TagCodesQuery, TagRuleSizeQuery, TagsPageQuery, UpsertTagMutation } from './operations';
import { filterErrorsOf, otherErrorsOf } from './rule';
import './tags.css';

type Tag = PageData['tagCounts'][number]['tag'];
/** What the dialog edits: a new manual or rule tag (tag null), or an existing one. */
interface Editing { kind: TagKind; tag: Tag | null }

const CATEGORIES = Object.keys(TAG_CATEGORY_LABEL) as TagCategory[];
const GENDER_LABEL: Record<string, MessageKey> = { F: 'segments.gender.F', M: 'segments.gender.M', X: 'segments.gender.X' };
const DEBOUNCE_MS = 400;

/**
 * Tags: every tag with its kind, category and member count (tagCounts, with each RULE tag's
 * saved filter, Tag.rule), in one request with what the form needs; a manual tag created or
 * renamed, a rule tag created or edited with the Segments page's filter builder and its live
 * size. Saving a rule re-tags the members at once (upsertTag applies it): the page reads the
 * counts again and says how many members the tag holds now.
 */
export default function TagsPage() {
  const { t, formatNumber } = useI18n();
  const [result, refetch] = useQuery({ query: TagsPageQuery });
  const { editing, opening, show, hide, hideIf } = useEditing<Editing>();
  const [notice, setNotice] = useState<string | null>(null);
  const data = result.data;
  const open = (next: Editing) => {
    setNotice(null);
    show(next);
  };
  // After a save, the page's query is read again (urql's cache re-runs it: the answer holds a Tag):
  // the counts as the server keeps them now, a saved rule having re-tagged its members already.
  const [pending, setPending] = useState<{ code: string; name: string; kind: TagKind; isNew: boolean; before: number; seen: PageData | undefined } | null>(null);
  useEffect(() => {
    if (!pending || !data || data === pending.seen || result.stale || result.fetching) return;
    const count = data.tagCounts.find((c) => c.tag.code === pending.code)?.count;
    if (pending.kind === 'RULE' && count != null) {
      setNotice(pending.isNew ? t('tags.saved.ruleNew', { name: pending.name, count: formatNumber(count) })
        : t('tags.saved.rule', { name: pending.name, count: formatNumber(count), before: formatNumber(pending.before) }));
    } else {
      setNotice(t(pending.isNew ? 'tags.saved.created' : 'tags.saved.updated', { name: pending.name }));
    }
    setPending(null);
  }, [pending, data, result.stale, result.fetching, t, formatNumber]);
  const onSaved = (saved: { code: string; name: string; kind: TagKind }, isNew: boolean) => {
    const before = data?.tagCounts.find((c) => c.tag.code === saved.code)?.count ?? 0;
    // A save that lands after its dialog was closed leaves the dialog opened since alone.
    hideIf(opening);
    setPending({ ...saved, isNew, before, seen: data });
  };
  return (
    <Page
      title={t('tags.title')}
      subtitle={t('tags.subtitle')}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
      toolbar={data ? (
        <>
          <button type="button" onClick={() => open({ kind: 'MANUAL', tag: null })}>{t('tags.newManual')}</button>
          <button type="button" className="primary" onClick={() => open({ kind: 'RULE', tag: null })}>{t('tags.newRule')}</button>
        </>
      ) : null}
    >
      {notice ? <p className="notice" role="status" data-testid="tag-saved">{notice}</p> : null}
      {data ? (
        <Section title={t('tags.list')} id="tags">
          {!data.tagCounts.length ? <Empty>{t('tags.none')}</Empty> : (
            <div className="table-wrap">
              <table className="table tags-table" data-testid="tags">
                <caption className="visually-hidden">{t('tags.list')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('tags.col.tag')}</th>
                    <th scope="col">{t('tags.col.kind')}</th>
                    <th scope="col">{t('tags.col.category')}</th>
                    <th scope="col" className="num">{t('tags.col.members')}</th>
                    <th scope="col">{t('tags.col.rule')}</th>
                    <th scope="col">{t('tags.col.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.tagCounts.map(({ tag, count }) => {
                    // Counted as the builder would send it (the answer's object also has __typename).
                    const conditions = tag.rule ? conditionCount(toFilterInput(fromFilter(tag.rule, data.program.timeZone), data.program.timeZone)) : 0;
                    return (
                      <tr key={tag.code} data-code={tag.code}>
                        <th scope="row"><strong>{tag.name}</strong> <code className="muted">{tag.code}</code></th>
                        <td><span className={`badge tag-kind-${tag.kind}`}>{t(TAG_KIND_LABEL[tag.kind])}</span></td>
                        <td>{t(TAG_CATEGORY_LABEL[tag.category])}</td>
                        <td className="num">{formatNumber(count)}</td>
                        <td>{tag.kind === 'MANUAL' ? t('tags.rule.byHand') : conditions ? t('tags.rule.conditions', { count: conditions }) : t('tags.rule.noConditions')}</td>
                        <td>
                          <button type="button" className="small" onClick={() => open({ kind: tag.kind, tag })} aria-label={t('tags.editNamed', { name: tag.name })}>
                            {t('tags.edit')}
                          </button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {editing ? <TagDialog key={editing.tag?.code ?? `new-${editing.kind}`} editing={editing} data={data} onClose={hide} onSaved={onSaved} /> : null}
        </Section>
      ) : null}
    </Page>
  );
}

interface TagDialogProps {
  editing: Editing;
  data: PageData;
  onClose: () => void;
  onSaved: (tag: { code: string; name: string; kind: TagKind }, isNew: boolean) => void;
}

/**
 * A tag's form: code (new tags only: upsertTag is keyed by it, so a code already taken is
 * refused here rather than overwriting that tag), name, category, and for a rule tag its filter
 * with the live size. One save at a time: a second click while one is on its way sends nothing.
 */
function TagDialog({ editing, data, onClose, onSaved }: TagDialogProps) {
  const { t, formatNumber } = useI18n();
  const client = useClient();
  const zone = data.program.timeZone;
  const { tag } = editing;
  const isRule = editing.kind === 'RULE';
  const [code, setCode] = useState(tag?.code ?? '');
  const [name, setName] = useState(tag?.name ?? '');
  const [category, setCategory] = useState<TagCategory>(tag?.category ?? (isRule ? 'BEHAVIOR' : 'DESCRIPTIVE'));
  const [draft, setDraft] = useState<Draft>(() => (tag?.rule ? fromFilter(tag.rule, zone) : emptyDraft()));
  const [error, setError] = useState<OperationError | null>(null);
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const [, upsert] = useMutation(UpsertTagMutation);

  const key = JSON.stringify(toFilterInput(draft, zone));
  const settledKey = useDebounced(key, DEBOUNCE_MS);
  const filter = useMemo(() => JSON.parse(settledKey) as SegmentFilterInput, [settledKey]);
  const local = filterIntErrors(draft, t('form.notAWholeNumber'));
  const [size] = useQuery({ query: TagRuleSizeQuery, variables: { filter }, pause: !isRule || settledKey === '{}' || Object.keys(local).length > 0 });
  const sizeError = toOperationError(size.error);
  const values = useMemo(() => {
    const of = (dimension: string) => [...new Set(data.everyone.profile.filter((r) => r.dimension === dimension && r.value !== 'UNKNOWN').map((r) => r.value))].sort();
    return { genders: of('gender'), regions: of('region'), channels: of('channel') };
  }, [data.everyone.profile]);
  // The filter's own messages go under its controls; the form's alert has the rest.
  const filterErrors = { ...(sizeError?.fields ?? {}), ...filterErrorsOf(error), ...local };
  const formError = otherErrorsOf(error);
  const updating = key !== settledKey || size.fetching;
  const sizeText = key === '{}' ? t('tags.rule.everyone', { count: formatNumber(data.everyone.size) })
    : Object.keys(local).length || sizeError ? t('tags.rule.invalid')
      : updating || !size.data ? t('tags.rule.updating') : t('tags.rule.size', { count: formatNumber(size.data.segmentPreview.size) });

  const submit = async () => {
    if (sending.current) return;
    const newCode = code.trim();
    const invalid: Record<string, string> = { ...local };
    if (!tag && !newCode) invalid.code = t('tags.codeRequired');
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    sending.current = true;
    setBusy(true);
    try {
      if (!tag) {
        // upsertTag is keyed by the code: a new tag with a taken code would overwrite that tag (a rule tag made manual, say).
        const taken = await client.query(TagCodesQuery, {}, { requestPolicy: 'network-only' }).toPromise();
        if (taken.error || !taken.data) return setError(toOperationError(taken.error));
        if (taken.data.tags.some((x) => x.code === newCode)) return setError({ code: 'CONFLICT', fields: { code: t('tags.codeTaken', { code: newCode }) }, general: [] });
      }
      const rule = isRule ? toSavedFilter(draft, zone) : null;
      const r = await upsert({ input: { code: tag?.code ?? newCode, name: name.trim(), category, rule } });
      const failed = toOperationError(r.error);
      setError(failed);
      if (!failed && r.data) onSaved(r.data.upsertTag, !tag);
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const title = tag ? t('tags.editNamed', { name: tag.name }) : t(isRule ? 'tags.newRule' : 'tags.newManual');
  return (
    <Modal title={title} open onClose={onClose} wide={isRule}>
      <Form onSubmit={submit} error={formError} busy={busy} submitLabel={t('common.save')} onCancel={onClose} label={title} className="tag-form">
        <div className="field-pair">
          {tag ? null : (
            <Field name="code" label={t('tags.field.code')} hint={t('tags.field.codeHint')} required>
              {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" spellCheck={false} />}
            </Field>
          )}
          <Field name="name" label={t('tags.field.name')} required>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
          </Field>
          <Field name="category" label={t('tags.field.category')}>
            {(p) => (
              <select {...p} value={category} onChange={(e) => setCategory(e.target.value as TagCategory)}>
                {CATEGORIES.map((c) => <option key={c} value={c}>{t(TAG_CATEGORY_LABEL[c])}</option>)}
              </select>
            )}
          </Field>
        </div>
        {isRule ? (
          <fieldset className="tag-rule">
            <legend>{t('tags.field.rule')}</legend>
            <p className="muted">{t('tags.rule.note')}</p>
            <p className="tag-rule-size" aria-live="polite" aria-busy={updating || undefined} data-testid="tag-rule-size">{sizeText}</p>
            {sizeError?.general.length ? <p className="field-error" role="alert">{sizeError.general.join(' ')}</p> : null}
            <FilterBuilder
              draft={draft}
              onChange={setDraft}
              tiers={data.tiers}
              tags={data.tagCounts.map((c) => c.tag).filter((x) => x.code !== tag?.code)}
              values={values}
              errors={filterErrors}
              genderLabel={(g) => (GENDER_LABEL[g] ? t(GENDER_LABEL[g]) : g)}
              zone={zone}
            />
          </fieldset>
        ) : null}
      </Form>
    </Modal>
  );
}
