import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { PageParams } from '../../app/pages';
import { Link } from '../../app/router';
import type { LedgerRowFragment, MemberProfileQuery, RedemptionRowFragment } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { RFM_LABEL, STAGE_LABEL, TAG_KIND_LABEL, TIER_CHANGE_LABEL, TRANSACTION_LABEL, redemptionStatusLabel } from '../../i18n/enums';
import { reasonText } from '../../i18n/reasons';
import { useConfirm } from '../../ui/ConfirmDialog';
import { ErrorState, Empty, Page, Section } from '../../ui/Page';
import { ConnectionPager, useCursorPager } from '../../ui/Pager';
import { AdjustPointsDialog, CancelRedemptionDialog, EditProfileDialog, OverrideTierDialog } from './actions';
import { CheckInSection } from './check-in';
import { EraseMemberDialog, ExportDataButton } from './data-rights';
import { MemberReferrals } from './referrals';
import { MemberLedgerQuery, MemberProfileQuery as ProfileQuery, MemberRedemptionsQuery, TagMemberMutation, UntagMemberMutation } from './operations';
import { memberLabel } from './label';

type ProfileMember = NonNullable<MemberProfileQuery['member']>;
const PAGE_SIZE = 10;
/** A member id is a UUID (the server's isUuid): anything else names no member, and is not asked for. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A member's profile: its tier and progress, points, retention scores, tags, benefits, ledger,
 * redemptions and tier history, from one request (MemberProfile); the ledger's and the
 * redemptions' later pages are requests of their own. Actions: adjust points, override the
 * tier, edit the profile, tag and untag, cancel a redemption, export its data, erase it. An
 * erased member's page says so and offers only the export (what is kept: the anonymous ledger).
 */
export default function MemberProfilePage({ params }: PageParams) {
  const { t, formatDate } = useI18n();
  const wellFormed = UUID.test(params.id ?? '');
  const [result, refetch] = useQuery({ query: ProfileQuery, variables: { id: params.id, pageSize: PAGE_SIZE }, pause: !wellFormed });
  const [dialog, setDialog] = useState<'adjust' | 'tier' | 'edit' | 'erase' | null>(null);
  const [reloads, setReloads] = useState(0);
  const member = result.data?.member;
  const reload = () => {
    refetch({ requestPolicy: 'network-only' });
    setReloads((n) => n + 1);
  };
  const loadError = toOperationError(result.error);
  // An id the server does not take as one (BAD_USER_INPUT on `id`) is a member that is not there, said once, without a retry.
  const notFound = !wellFormed || Boolean(loadError?.fields.id) || (result.data != null && !result.data.member);
  const error = notFound ? null : loadError;
  const erased = member?.erasedAt != null;
  const title = member ? (erased ? t('members.dataRights.erasedTitle') : memberLabel(member)) : t('members.profile.title');
  return (
    <Page
      title={title}
      subtitle={<Link to="/members">{t('members.backToList')}</Link>}
      loading={wellFormed && result.fetching && !result.data}
      error={error}
      onRetry={reload}
      toolbar={member ? (
        <>
          {erased ? null : (
            <>
              <button type="button" className="primary" onClick={() => setDialog('adjust')} data-testid="open-adjust">{t('members.adjust.open')}</button>
              <button type="button" onClick={() => setDialog('tier')}>{t('members.tier.open')}</button>
              <button type="button" onClick={() => setDialog('edit')} data-testid="open-edit">{t('members.edit.open')}</button>
            </>
          )}
          <ExportDataButton memberId={member.id} />
          {erased ? null : <button type="button" className="danger" onClick={() => setDialog('erase')} data-testid="open-erase">{t('members.dataRights.erase')}</button>}
        </>
      ) : null}
    >
      {notFound ? <Empty>{t('members.notFound')}</Empty> : null}
      {member ? (
        <>
          {member.erasedAt ? (
            <p className="erased-notice" role="status" data-testid="erased-notice">{t('members.dataRights.erasedNotice', { date: formatDate(member.erasedAt) })}</p>
          ) : null}
          <Summary member={member} zone={result.data!.program.timeZone} />
          <div className="columns">
            <ProfileDetails member={member} />
            <Retention member={member} />
          </div>
          <Tags member={member} allTags={erased ? [] : result.data!.tags} onChanged={reload} />
          <Benefits member={member} />
          {erased ? null : <CheckInSection member={member} />}
          {/* Keyed by reloads: after an action, the ledger and redemptions start again from their first page. */}
          <Ledger key={`ledger-${reloads}`} member={member} />
          <Redemptions key={`redemptions-${reloads}`} member={member} onChanged={reload} />
          <TierHistory member={member} />
          <MemberReferrals key={`referrals-${reloads}`} member={member} />
          <AdjustPointsDialog member={member} open={dialog === 'adjust'} onClose={() => setDialog(null)} onDone={reload} />
          <OverrideTierDialog key={`tier-${member.tier.code}`} member={member} tiers={result.data!.tiers} zone={result.data!.program.timeZone} open={dialog === 'tier'} onClose={() => setDialog(null)} onDone={reload} />
          <EditProfileDialog member={member} open={dialog === 'edit'} onClose={() => setDialog(null)} onDone={reload} />
          <EraseMemberDialog memberId={member.id} open={dialog === 'erase'} onClose={() => setDialog(null)} onDone={reload} />
        </>
      ) : null}
    </Page>
  );
}

/** The tier's dates are days of the programme's time zone, as the override dialog takes them. */
function Summary({ member, zone }: { member: ProfileMember; zone: string }) {
  const { t, formatNumber, formatDate } = useI18n();
  const progress = member.tierProgress;
  const next = progress.nextTier;
  const share = next ? Math.min(1, progress.qualifyingPoints / Math.max(1, next.qualifyingPoints)) : 1;
  return (
    <div className="cards" data-testid="member-summary">
      <div className="card tier-card">
        <h2 className="card-label">{t('members.summary.tier')}</h2>
        <p className="card-value">{member.tier.name}</p>
        <p className="card-note">
          {t('members.summary.tierSince', { date: formatDate(member.tierSince, zone) })}
          {member.tierExpiresAt ? ` · ${t('members.summary.tierUntil', { date: formatDate(member.tierExpiresAt, zone) })}` : ''}
        </p>
        {/* An erased member's tier is frozen: it has nothing to reach or keep. */}
        {member.erasedAt ? null : (
          <>
            <div className="progress" role="progressbar" aria-label={t('members.summary.progress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)}>
              <span style={{ width: `${share * 100}%` }} />
            </div>
            <p className="card-note">
              {next
                ? t('members.summary.toNext', { points: formatNumber(progress.pointsToNextTier ?? 0), tier: next.name })
                : t('members.summary.topTier')}
              {' · '}
              {t('members.summary.toRetain', { points: formatNumber(progress.pointsToRetain) })}
            </p>
          </>
        )}
      </div>
      <Stat label={t('members.summary.balance')} value={formatNumber(member.pointsBalance)} testId="balance" />
      <Stat label={t('members.summary.pending')} value={formatNumber(member.pendingPoints)} />
      <Stat label={t('members.summary.expiring')} value={formatNumber(member.expiringPoints)} />
      <Stat label={t('members.summary.lifetime')} value={formatNumber(member.lifetimePoints)} />
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="card">
      <h2 className="card-label">{label}</h2>
      <p className="card-value" data-testid={testId}>{value}</p>
    </div>
  );
}

function ProfileDetails({ member }: { member: ProfileMember }) {
  const { t, formatDate } = useI18n();
  const rows: [string, string][] = [
    [t('members.profile.id'), member.id],
    [t('members.profile.externalId'), member.externalId ?? '—'],
    [t('members.profile.displayName'), member.displayName ?? '—'],
    [t('members.profile.email'), member.email ?? '—'],
    [t('members.profile.phone'), member.phone ?? '—'],
    [t('members.profile.birthday'), member.birthday ?? '—'],
    [t('members.profile.gender'), member.gender ?? '—'],
    [t('members.profile.region'), member.region ?? '—'],
    [t('members.profile.channel'), member.channel ?? '—'],
    [t('members.profile.joinedAt'), formatDate(member.joinedAt)],
  ];
  return (
    <Section title={t('members.profile.title')} id="profile">
      <dl className="details">
        {rows.map(([label, value]) => (
          <div key={label}><dt>{label}</dt><dd>{value}</dd></div>
        ))}
      </dl>
    </Section>
  );
}

function Retention({ member }: { member: ProfileMember }) {
  const { t, formatNumber } = useI18n();
  const percent = (x: number | null | undefined) => (x == null ? '—' : formatNumber(x, { style: 'percent', maximumFractionDigits: 0 }));
  const rfm = member.rfm;
  return (
    <Section title={t('members.retention.title')} id="retention">
      <dl className="details">
        <div><dt>{t('members.retention.stage')}</dt><dd><span className={`badge stage-${member.lifecycleStage}`}>{t(STAGE_LABEL[member.lifecycleStage])}</span></dd></div>
        <div><dt>{t('members.retention.churnRisk')}</dt><dd data-testid="churn-risk">{percent(member.churnRisk)}</dd></div>
        <div><dt>{t('members.retention.alive')}</dt><dd>{percent(member.aliveProbability)}</dd></div>
        <div><dt>{t('members.retention.expected')}</dt><dd>{member.expectedPurchases == null ? '—' : formatNumber(member.expectedPurchases, { maximumFractionDigits: 1 })}</dd></div>
        <div><dt>{t('members.retention.rfmSegment')}</dt><dd>{rfm ? t(RFM_LABEL[rfm.segment]) : '—'}</dd></div>
        <div>
          <dt>{t('members.retention.rfmScores')}</dt>
          <dd>{rfm ? t('members.retention.rfmValue', { r: rfm.r, f: rfm.f, m: rfm.m, days: rfm.recencyDays, count: rfm.frequency, money: formatNumber(rfm.monetary, { maximumFractionDigits: 2 }) }) : '—'}</dd>
        </div>
      </dl>
    </Section>
  );
}

function Tags({ member, allTags, onChanged }: { member: ProfileMember; allTags: MemberProfileQuery['tags']; onChanged: () => void }) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const [tagCode, setTagCode] = useState('');
  const [error, setError] = useState<OperationError | null>(null);
  const [tagging, tag] = useMutation(TagMemberMutation);
  const [, untag] = useMutation(UntagMemberMutation);
  const has = new Set(member.tags.map((x) => x.code));
  // Rule tags are the server's to keep: only manual ones are offered.
  const offered = allTags.filter((x) => x.kind === 'MANUAL' && !has.has(x.code));
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!tagCode) return;
    const failed = toOperationError((await tag({ memberId: member.id, tagCode })).error);
    setError(failed);
    if (!failed) {
      setTagCode('');
      onChanged();
    }
  };
  const remove = async (code: string, name: string) => {
    if (!(await confirm({ title: t('members.tags.untagTitle'), message: t('members.tags.untagMessage', { tag: name }), confirmLabel: t('members.tags.untag') }))) return;
    const failed = toOperationError((await untag({ memberId: member.id, tagCode: code })).error);
    setError(failed);
    if (!failed) onChanged();
  };
  return (
    <Section title={t('members.tags.title')} id="tags">
      {error ? <ErrorState error={error} /> : null}
      {member.tags.length ? (
        <ul className="chips" aria-label={t('members.tags.title')}>
          {member.tags.map((x) => (
            <li key={x.code} className={`chip chip-${x.kind}`}>
              <span>{x.name}</span>
              <span className="chip-kind">{t(TAG_KIND_LABEL[x.kind])}</span>
              {x.kind === 'MANUAL' ? (
                <button type="button" className="chip-remove" onClick={() => void remove(x.code, x.name)} aria-label={t('members.tags.untagNamed', { tag: x.name })}>×</button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : <Empty>{t('members.tags.none')}</Empty>}
      {offered.length ? (
        <form className="inline-form" onSubmit={(e) => void add(e)}>
          <label htmlFor="add-tag">{t('members.tags.add')}</label>
          <select id="add-tag" value={tagCode} onChange={(e) => setTagCode(e.target.value)}>
            <option value="">{t('members.tags.choose')}</option>
            {offered.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}
          </select>
          <button type="submit" disabled={!tagCode || tagging.fetching}>{t('members.tags.tag')}</button>
        </form>
      ) : null}
    </Section>
  );
}

function Benefits({ member }: { member: ProfileMember }) {
  const { t } = useI18n();
  return (
    <Section title={t('members.benefits.title')} id="benefits">
      {member.benefits.length ? (
        <ul className="list">
          {member.benefits.map((b) => <li key={b.code}><strong>{b.name}</strong> <span className="muted">{b.code}</span></li>)}
        </ul>
      ) : <Empty>{t('members.benefits.none')}</Empty>}
    </Section>
  );
}

function Ledger({ member }: { member: ProfileMember }) {
  const { t, formatNumber, formatDateTime, formatDate } = useI18n();
  const pager = useCursorPager();
  const [later] = useQuery({ query: MemberLedgerQuery, variables: { id: member.id, first: PAGE_SIZE, after: pager.after }, pause: pager.after === null });
  const connection = pager.after === null ? member.pointsHistory : later.data?.member?.pointsHistory;
  const rows: LedgerRowFragment[] = connection?.edges.map((e) => e.node) ?? [];
  return (
    <Section title={t('members.ledger.title')} id="ledger">
      {later.error ? <ErrorState error={toOperationError(later.error)!} /> : null}
      {connection && !rows.length ? <Empty>{t('members.ledger.none')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap" aria-busy={later.fetching}>
          <table className="table" data-testid="ledger">
            <caption className="visually-hidden">{t('members.ledger.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('members.ledger.occurredAt')}</th>
                <th scope="col">{t('members.ledger.type')}</th>
                <th scope="col" className="num">{t('members.ledger.amount')}</th>
                <th scope="col" className="num">{t('members.ledger.balanceAfter')}</th>
                <th scope="col">{t('members.ledger.reason')}</th>
                <th scope="col">{t('members.ledger.expiresAt')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>{formatDateTime(r.occurredAt)}</td>
                  <td>{t(TRANSACTION_LABEL[r.type])}</td>
                  <td className={`num ${r.amount < 0 ? 'negative' : 'positive'}`}>{r.amount > 0 ? '+' : ''}{formatNumber(r.amount)}</td>
                  <td className="num">{formatNumber(r.balanceAfter)}</td>
                  <td>{r.reason != null ? reasonText(r.reason, t) : r.reference ?? '—'}</td>
                  <td>{formatDate(r.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('members.ledger.title')} pager={pager} connection={connection} busy={later.fetching} />
    </Section>
  );
}

function Redemptions({ member, onChanged }: { member: ProfileMember; onChanged: () => void }) {
  const { t, formatNumber, formatDate } = useI18n();
  const pager = useCursorPager();
  const [cancelling, setCancelling] = useState<{ id: string; couponCode: string; rewardName: string } | null>(null);
  const [later] = useQuery({ query: MemberRedemptionsQuery, variables: { id: member.id, first: PAGE_SIZE, after: pager.after }, pause: pager.after === null });
  const connection = pager.after === null ? member.redemptions : later.data?.member?.redemptions;
  const rows: RedemptionRowFragment[] = connection?.edges.map((e) => e.node) ?? [];
  return (
    <Section title={t('members.redemptions.title')} id="redemptions">
      {later.error ? <ErrorState error={toOperationError(later.error)!} /> : null}
      {connection && !rows.length ? <Empty>{t('members.redemptions.none')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap" aria-busy={later.fetching}>
          <table className="table">
            <caption className="visually-hidden">{t('members.redemptions.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('members.redemptions.reward')}</th>
                <th scope="col">{t('members.redemptions.coupon')}</th>
                <th scope="col">{t('members.redemptions.status')}</th>
                <th scope="col" className="num">{t('members.redemptions.points')}</th>
                <th scope="col">{t('members.redemptions.createdAt')}</th>
                <th scope="col">{t('members.redemptions.expiresAt')}</th>
                <th scope="col">{t('members.redemptions.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const status = redemptionStatusLabel(r.status);
                return (
                  <tr key={r.id}>
                    <td>{r.reward.name}</td>
                    <td><code>{r.couponCode}</code></td>
                    <td><span className={`badge status-${r.status}`}>{status ? t(status) : r.status}</span>{r.usedAt ? <span className="muted"> {formatDate(r.usedAt)}{r.usedAtStore ? ` · ${r.usedAtStore}` : ''}</span> : null}</td>
                    <td className="num">{formatNumber(r.points)}</td>
                    <td>{formatDate(r.createdAt)}</td>
                    <td>{formatDate(r.expiresAt)}</td>
                    <td>
                      {r.status === 'ISSUED' ? (
                        <button type="button" className="danger small" onClick={() => setCancelling({ id: r.id, couponCode: r.couponCode, rewardName: r.reward.name })}
                          aria-label={t('members.redemptions.cancelNamed', { coupon: r.couponCode })}>
                          {t('members.redemptions.cancel')}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('members.redemptions.title')} pager={pager} connection={connection} busy={later.fetching} />
      <CancelRedemptionDialog redemption={cancelling} onClose={() => setCancelling(null)} onDone={onChanged} />
    </Section>
  );
}

function TierHistory({ member }: { member: ProfileMember }) {
  const { t, formatNumber, formatDateTime } = useI18n();
  return (
    <Section title={t('members.tierHistory.title')} id="tier-history">
      {member.tierHistory.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">{t('members.tierHistory.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('members.tierHistory.occurredAt')}</th>
                <th scope="col">{t('members.tierHistory.kind')}</th>
                <th scope="col">{t('members.tierHistory.change')}</th>
                <th scope="col" className="num">{t('members.tierHistory.qualifyingPoints')}</th>
                <th scope="col">{t('members.tierHistory.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {[...member.tierHistory].reverse().map((c) => (
                <tr key={c.id}>
                  <td>{formatDateTime(c.occurredAt)}</td>
                  <td>{t(TIER_CHANGE_LABEL[c.kind])}</td>
                  <td>{c.fromTier ? `${c.fromTier.name} → ${c.toTier.name}` : c.toTier.name}</td>
                  <td className="num">{formatNumber(c.qualifyingPoints)}</td>
                  <td>{reasonText(c.reason, t)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : <Empty>{t('members.tierHistory.none')}</Empty>}
    </Section>
  );
}
