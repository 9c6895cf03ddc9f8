import { useQuery } from 'urql';
import { Link, navigate } from '../../app/router';
import { toOperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { Empty, Page } from '../../ui/Page';
import { BenefitListQuery } from './operations';
import { kindLabel } from './form';
import { SCHEDULE_CLASS, SCHEDULE_LABEL, scheduleStatus } from './status';
import { codeSegment } from '../../app/code-path';

/**
 * Benefits: every rule (admin sees inactive and scheduled ones too), with the tiers and tags it
 * needs, its validity window and its version; a rule's own page edits it and shows its history;
 * "New benefit" opens /benefits/new. One request (BenefitList).
 */
export default function BenefitsPage() {
  const { t, formatDateTime } = useI18n();
  const [result, refetch] = useQuery({ query: BenefitListQuery });
  const tierName = new Map(result.data?.tiers.map((x) => [x.code, x.name]));
  const benefits = result.data?.benefits ?? [];
  const zone = result.data?.program.timeZone;
  return (
    <Page
      title={t('benefits.title')}
      subtitle={t('benefits.subtitle')}
      toolbar={<button type="button" className="primary" onClick={() => navigate('/benefits/new')}>{t('benefits.new')}</button>}
      loading={result.fetching && !result.data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
    >
      {result.data && !benefits.length ? <Empty>{t('benefits.none')}</Empty> : null}
      {benefits.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="benefits">
            <caption className="visually-hidden">{t('benefits.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('benefits.col.name')}</th>
                <th scope="col">{t('benefits.col.code')}</th>
                <th scope="col">{t('benefits.col.kind')}</th>
                <th scope="col" className="num">{t('benefits.col.value')}</th>
                <th scope="col">{t('benefits.col.tiers')}</th>
                <th scope="col">{t('benefits.col.tags')}</th>
                <th scope="col">{t('benefits.col.status')}</th>
                <th scope="col">{t('benefits.col.schedule')}</th>
                <th scope="col" className="num">{t('benefits.col.version')}</th>
              </tr>
            </thead>
            <tbody>
              {benefits.map((b) => {
                const status = scheduleStatus(b);
                return (
                  <tr key={b.code}>
                    <td><Link to={`/benefits/${codeSegment(b.code)}`}>{b.name}</Link></td>
                    <td><code>{b.code}</code></td>
                    <td>{kindLabel(b.kind, t)}</td>
                    <td className="num">{b.value ?? '—'}</td>
                    <td>{b.tierCodes.length ? b.tierCodes.map((c) => tierName.get(c) ?? c).join(', ') : t('benefits.allTiers')}</td>
                    <td>{b.requiredTags.length ? b.requiredTags.join(', ') : '—'}</td>
                    <td><span className={`badge ${SCHEDULE_CLASS[status]}`}>{t(SCHEDULE_LABEL[status])}</span></td>
                    <td>{b.validFrom || b.validTo ? t('benefits.window', { from: formatDateTime(b.validFrom, zone), to: formatDateTime(b.validTo, zone) }) : t('benefits.always')}</td>
                    <td className="num">{b.version}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
