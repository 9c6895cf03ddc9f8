import { AppError } from '../../common/errors';
import {
  applyPatch, couponCancelRefusal, couponExpiresAt, couponStatus, couponUseRefusal, isAffordable, normalizeCouponCode, type PatchSpec,
} from './rewards.rules';

const at = (iso: string) => new Date(iso);
const DAY = 86_400_000;

describe('normalizeCouponCode', () => {
  it('drops separators and case, as people type a code', () => {
    expect(normalizeCouponCode('7K2M-9QXZ-AB3D-WXYZ')).toBe('7K2M9QXZAB3DWXYZ');
    expect(normalizeCouponCode(' 7k2m 9qxz-ab3d_wxyz ')).toBe('7K2M9QXZAB3DWXYZ');
    expect(normalizeCouponCode('7K2M—9QXZ·AB3D/WXYZ')).toBe('7K2M9QXZAB3DWXYZ');
  });

  it('reads I and L as 1 and O as 0 (Crockford base32: issued codes never hold them)', () => {
    expect(normalizeCouponCode('1O0l-iI')).toBe('100111');
    expect(normalizeCouponCode('UUUU')).toBe('UUUU');
  });

  it('leaves nothing of a code without letters or digits', () => {
    expect(normalizeCouponCode('--- ')).toBe('');
    expect(normalizeCouponCode('２０２４')).toBe('');
  });

  it('is idempotent', () => {
    for (const raw of ['abc-def', 'o-i-l', '7K2M-9QXZ']) expect(normalizeCouponCode(normalizeCouponCode(raw))).toBe(normalizeCouponCode(raw));
  });
});

describe('couponExpiresAt', () => {
  it('is the issue instant plus whole days of 24 hours; null days: no end', () => {
    expect(couponExpiresAt(at('2026-03-28T10:00:00Z'), 2)).toEqual(at('2026-03-30T10:00:00Z'));
    expect(couponExpiresAt(at('2026-03-28T10:00:00Z'), null)).toBeNull();
    expect(couponExpiresAt(at('2026-03-28T10:00:00Z'), undefined)).toBeNull();
  });
});

describe('couponStatus', () => {
  const issued = { status: 'ISSUED', expiresAt: at('2026-01-10T00:00:00Z') };
  it('an ISSUED coupon is EXPIRED at and after its expiry, not before', () => {
    expect(couponStatus(issued, at('2026-01-09T23:59:59.999Z'))).toBe('ISSUED');
    expect(couponStatus(issued, at('2026-01-10T00:00:00Z'))).toBe('EXPIRED');
    expect(couponStatus({ status: 'ISSUED', expiresAt: null }, at('2999-01-01T00:00:00Z'))).toBe('ISSUED');
  });
  it('USED and CANCELLED stay what they are', () => {
    expect(couponStatus({ ...issued, status: 'USED' }, at('2030-01-01T00:00:00Z'))).toBe('USED');
    expect(couponStatus({ ...issued, status: 'CANCELLED' }, at('2030-01-01T00:00:00Z'))).toBe('CANCELLED');
  });
});

describe('couponUseRefusal', () => {
  const coupon = { status: 'ISSUED', createdAt: at('2026-01-01T00:00:00Z'), expiresAt: at('2026-01-03T00:00:00Z') };
  const now = at('2026-01-05T00:00:00Z');

  it('allows an issued coupon from its issue up to (not at) its expiry, whenever the till reports it', () => {
    expect(couponUseRefusal(coupon, coupon.createdAt, now)).toBeNull();
    expect(couponUseRefusal(coupon, new Date(coupon.expiresAt.getTime() - 1), now)).toBeNull();
    expect(couponUseRefusal({ ...coupon, expiresAt: null }, at('2030-01-01T00:00:00Z'), now)).toBeNull();
  });

  it('refuses at and after expiry as EXPIRED', () => {
    expect(couponUseRefusal(coupon, coupon.expiresAt, now)).toMatchObject({ status: 'EXPIRED' });
  });

  it('refuses an instant before the issue, naming occurredAt, with the status as of now', () => {
    expect(couponUseRefusal(coupon, at('2025-12-31T23:59:59Z'), now)).toMatchObject({ status: 'EXPIRED', field: 'occurredAt' });
    expect(couponUseRefusal(coupon, at('2025-12-31T23:59:59Z'), at('2026-01-02T00:00:00Z'))).toMatchObject({ status: 'ISSUED', field: 'occurredAt' });
  });

  it('refuses USED and CANCELLED coupons at any instant', () => {
    expect(couponUseRefusal({ ...coupon, status: 'USED' }, at('2026-01-02T00:00:00Z'), now)).toMatchObject({ status: 'USED' });
    expect(couponUseRefusal({ ...coupon, status: 'CANCELLED' }, at('2026-01-02T00:00:00Z'), now)).toMatchObject({ status: 'CANCELLED' });
  });
});

describe('couponCancelRefusal', () => {
  const coupon = { status: 'ISSUED', createdAt: at('2026-01-01T00:00:00Z'), expiresAt: new Date(at('2026-01-01T00:00:00Z').getTime() + DAY) };
  it('an ISSUED coupon may be cancelled until it expires', () => {
    expect(couponCancelRefusal(coupon, at('2026-01-01T12:00:00Z'))).toBeNull();
    expect(couponCancelRefusal(coupon, at('2026-01-02T00:00:00Z'))).toMatchObject({ status: 'EXPIRED' });
  });
  it('a USED coupon may not', () => {
    expect(couponCancelRefusal({ ...coupon, status: 'USED' }, at('2026-01-01T12:00:00Z'))).toMatchObject({ status: 'USED' });
  });
  it('a CANCELLED one is left to the caller (idempotent)', () => {
    expect(couponCancelRefusal({ ...coupon, status: 'CANCELLED' }, at('2026-01-05T00:00:00Z'))).toBeNull();
  });
});

describe('applyPatch', () => {
  interface Rule { name: string; stock: number | null; tierCodes: string[]; active: boolean }
  const spec: PatchSpec<Rule> = { name: 'required', stock: 'nullable', tierCodes: 'required', active: 'required' };
  const current: Rule = { name: 'Mug', stock: 5, tierCodes: ['GOLD'], active: true };

  it('changes only the fields given', () => {
    expect(applyPatch(current, { stock: 3 }, spec)).toEqual({ next: { ...current, stock: 3 }, given: ['stock'] });
    expect(applyPatch(current, {}, spec)).toEqual({ next: current, given: [] });
  });

  it('an explicit null clears a nullable field', () => {
    expect(applyPatch(current, { stock: null }, spec).next.stock).toBeNull();
  });

  it('null on a required field is BAD_USER_INPUT naming it', () => {
    for (const field of ['name', 'tierCodes', 'active']) {
      let error: unknown;
      try { applyPatch(current, { [field]: null }, spec); } catch (err) { error = err; }
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
    }
  });

  it('reads own properties only, ignores fields outside the spec and undefined values, and leaves its inputs alone', () => {
    const inherited = Object.create({ name: 'from the prototype' });
    expect(applyPatch(current, inherited, spec).given).toEqual([]);
    expect(applyPatch(current, { code: 'X', stock: undefined }, spec)).toEqual({ next: current, given: [] });
    const patch = { tierCodes: ['SILVER'] };
    const { next } = applyPatch(current, patch, spec);
    expect(next).not.toBe(current);
    expect(current.tierCodes).toEqual(['GOLD']);
  });
});

describe('isAffordable', () => {
  it('a balance that covers the cost exactly or more; not one a point short, nor a negative one', () => {
    expect(isAffordable(500, 500)).toBe(true);
    expect(isAffordable(500, 501)).toBe(true);
    expect(isAffordable(500, 499)).toBe(false);
    expect(isAffordable(1, -20)).toBe(false);
  });
});
