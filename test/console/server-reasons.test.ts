// The reasons the server writes itself (ledger rows, tier changes, referrals), in the console's
// languages (admin/src/i18n/reasons.ts): each phrase the server writes is one the console knows,
// shown in Chinese on a Chinese page; an operator's own text is shown as written.
import { en } from '../../admin/src/i18n/en';
import { FIXED_REASONS, REFUND_RECOVERY_HOW, reasonText } from '../../admin/src/i18n/reasons';
import { zhCN } from '../../admin/src/i18n/zh-CN';
import { ERASED_REFEREE_REASON, REFERRER_REVERSAL, REJECTION, REVERSAL_REASON } from '../../src/modules/referrals/referrals.rules';
import { DOWNGRADE_REASON, IMPORT_REASON, RENEWAL_REASON, UPGRADE_REASON } from '../../src/modules/tiers/tiers.rules';
import { CJK, fill, SERVER } from '../support/console-text';

const zh = (reason: string) => reasonText(reason, fill(zhCN));
const english = (reason: string) => reasonText(reason, fill(en));

describe('the server\'s reasons in the console', () => {
  it('translates each fixed phrase the server writes, and says it in English as the server does', () => {
    const phrases = [
      'points expired', 'expiry corrected: debits re-planned in date order', 'daily check-in', "referral: friend's first purchase", 'referral: welcome',
      'member erased: balance forfeited', 'member erased', UPGRADE_REASON, RENEWAL_REASON, DOWNGRADE_REASON, IMPORT_REASON,
      REJECTION.sameContact, REJECTION.referrerErased, REVERSAL_REASON,
    ];
    for (const phrase of phrases) {
      expect(english(phrase)).toBe(phrase);
      expect(zh(phrase)).toMatch(CJK);
    }
    expect(zh("the referee shares the referrer's phone or email")).toBe('被邀请人与邀请人的手机号或邮箱相同');
    expect(zh('points expired')).toBe('积分过期');
    expect(zh('qualifying points reached')).toBe('达到定级积分');
    expect(zh("referral: friend's first purchase")).toBe('邀请：好友首次消费');
    expect(zh('member erased: balance forfeited')).toBe('会员已删除：余额作废');
    expect(zh('daily check-in')).toBe('每日签到');
  });

  it('knows only phrases the server writes (a phrase changed on the server fails here)', () => {
    for (const phrase of Object.keys(FIXED_REASONS)) {
      expect({ phrase, written: SERVER.includes(`'${phrase}'`) || SERVER.includes(`"${phrase}"`) }).toEqual({ phrase, written: true });
    }
    // How a refund's missing points were found: the end of a template (`refund ${id}: points it could not take back, ${how}`).
    for (const phrase of Object.keys(REFUND_RECOVERY_HOW)) expect({ phrase, written: SERVER.includes(phrase) }).toEqual({ phrase, written: true });
  });

  it('knows every reason constant the server declares', () => {
    const declared = [...SERVER.matchAll(/export const [A-Z_]*REASON = '([^']+)'/g)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(5);
    for (const phrase of declared) expect({ phrase, zh: CJK.test(zh(phrase)) }).toEqual({ phrase, zh: true });
  });

  it('translates the phrases with an id, a code or the operator\'s words in them, keeping those as written', () => {
    expect(zh('refund R-1')).toBe('退款 R-1');
    expect(zh('refund R-1: campaign WIN-BACK')).toBe('退款 R-1：营销活动 WIN-BACK');
    expect(zh('refund R-1: referral')).toBe('退款 R-1：邀请奖励');
    expect(zh('refund R-1: referral campaign BRING-A-FRIEND')).toBe('退款 R-1：邀请营销活动 BRING-A-FRIEND');
    // A referrer's side of a reversed referral names no order or refund of its referee.
    expect(zh(`${REFERRER_REVERSAL}: ${REVERSAL_REASON}`)).toBe('邀请已撤回：完成邀请的那笔消费在冻结期内已全额退款');
    expect(zh(`${REFERRER_REVERSAL}: ${ERASED_REFEREE_REASON}`)).toBe('邀请已撤回：被邀请人在冻结期内已删除');
    expect(zh(`${REFERRER_REVERSAL}: referral campaign BRING-A-FRIEND`)).toBe('邀请已撤回：邀请营销活动 BRING-A-FRIEND');
    expect(english(`${REFERRER_REVERSAL}: ${REVERSAL_REASON}`)).toBe(`${REFERRER_REVERSAL}: ${REVERSAL_REASON}`);
    expect(zh('refund R-1: points it could not take back, returned by a cancellation')).toBe('退款 R-1：当时未能扣回的积分，由一次撤销退回');
    expect(zh('refund R-1: points it could not take back, found when a backdated write re-planned it in date order'))
      .toBe('退款 R-1：当时未能扣回的积分，补录的记录按日期顺序重新分配时发现');
    expect(zh('rate corrected: order O-9 earns at the tier held at its instant')).toBe('倍率更正：订单 O-9 按消费时所在等级计分');
    expect(zh('campaign WIN-BACK')).toBe('营销活动 WIN-BACK');
    expect(zh('activity review')).toBe('互动 review');
    expect(zh('reward COFFEE')).toBe('兑换奖励 COFFEE');
    expect(zh('birthday gift 2026')).toBe('2026 年生日礼');
    expect(zh('cancelled: wrong size')).toBe('已撤销：wrong size');
    expect(zh('cancelled: member erased')).toBe('已撤销：会员已删除');
    expect(zh('override: VIP event, approved by Jo')).toBe('人工调整：VIP event, approved by Jo');
    expect(zh(REJECTION.monthlyLimit(5))).toBe('邀请人本月完成的邀请已达上限（5 个）');
    // English pages read what the server wrote.
    for (const r of ['refund R-1: campaign WIN-BACK', 'cancelled: member erased', REJECTION.monthlyLimit(5), 'birthday gift 2026']) expect(english(r)).toBe(r);
  });

  it('shows an operator\'s own reason as written', () => {
    for (const r of ['goodwill: late delivery', 'Points expired early by mistake', 'refunded the whole basket', '补偿：配送延误']) expect(zh(r)).toBe(r);
  });
});
