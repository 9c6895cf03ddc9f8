import { useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { Link, navigate } from '../../app/router';
import type { BenefitNewQuery as NewData } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { Field, Form } from '../../ui/Form';
import { Page, Section } from '../../ui/Page';
import { BenefitFormFields, emptyValues, ruleOf, type BenefitValues } from './form';
import './benefits.css';
import { BenefitCodesQuery, BenefitNewQuery, CreateBenefitMutation } from './operations';
import { useStillShown } from '../../ui/useStillShown';
import { codeSegment } from '../../app/code-path';

/**
 * "New benefit": a rule's fields (the edit form's, form.tsx) and its code. upsertBenefit is keyed
 * by the code: a taken code would overwrite that rule (as a new version of it), so it is refused
 * here, on the code field, and nothing is sent. The codes are read again when saving (a rule made
 * since the page loaded, by a colleague or by a save whose answer was lost, is not in its list).
 * Saved, it opens the new rule's page (version 1), unless the operator has left this page
 * meanwhile. One request (BenefitNew); saving is two more (BenefitCodes, CreateBenefit).
 */
export default function NewBenefitPage() {
  const { t } = useI18n();
  const [result, refetch] = useQuery({ query: BenefitNewQuery, requestPolicy: 'network-only' });
  const data = result.data;
  return (
    <Page
      title={t('benefits.new.title')}
      subtitle={<Link to="/benefits">{t('benefits.backToList')}</Link>}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
    >
      {data ? <NewBenefitForm data={data} /> : null}
    </Page>
  );
}

function NewBenefitForm({ data }: { data: NewData }) {
  const { t } = useI18n();
  const zone = data.program.timeZone;
  const [code, setCode] = useState('');
  const [values, setValues] = useState<BenefitValues>(emptyValues);
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching }, create] = useMutation(CreateBenefitMutation);
  const client = useClient();
  const [checking, setChecking] = useState(false);
  const shown = useStillShown();
  const set = <K extends keyof BenefitValues>(key: K, value: BenefitValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const takenError = (taken: string): OperationError => ({ code: 'BAD_USER_INPUT', fields: { code: t('benefits.new.codeTaken', { code: taken }) }, general: [] });
  const submit = async () => {
    const taken = code.trim();
    const invalid: Record<string, string> = {};
    if (!taken) invalid.code = t('benefits.new.codeRequired');
    else if (data.benefits.some((b) => b.code === taken)) invalid.code = t('benefits.new.codeTaken', { code: taken });
    const built = ruleOf(values, zone, t);
    if ('invalid' in built) Object.assign(invalid, built.invalid);
    if (Object.keys(invalid).length || 'invalid' in built) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    setChecking(true);
    const now = await client.query(BenefitCodesQuery, {}, { requestPolicy: 'network-only' }).toPromise().finally(() => setChecking(false));
    if (now.error || !now.data) return setError(toOperationError(now.error));
    if (now.data.benefits.some((b) => b.code === taken)) return setError(takenError(taken));
    if (!shown.current) return; // the page left while the codes were read: nothing is sent
    const result = await create({ input: { code: taken, ...built.rule } });
    const failed = toOperationError(result.error);
    setError(failed);
    // Left meanwhile: the list shows the new rule; the page the operator went to stays theirs.
    if (!failed && result.data && shown.current) navigate(`/benefits/${codeSegment(result.data.upsertBenefit.code)}`);
  };
  return (
    <Section title={t('benefits.new.formTitle')} id="new">
      <Form onSubmit={submit} error={error} busy={fetching || checking} submitLabel={t('benefits.new.submit')} label={t('benefits.new.formTitle')} className="benefit-form">
        <BenefitFormFields
          values={values}
          set={set}
          tiers={data.tiers}
          tags={data.tags}
          zone={zone}
          before={(
            <Field name="code" label={t('benefits.field.code')} hint={t('benefits.new.codeHint')} required>
              {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" spellCheck={false} />}
            </Field>
          )}
        />
      </Form>
    </Section>
  );
}
