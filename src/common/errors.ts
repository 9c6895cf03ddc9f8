/**
 * The error codes of the public contract (domain.md, "Errors"). Every failure a client
 * may act on is an AppError with one of these codes; anything else is masked as
 * INTERNAL_SERVER_ERROR by the API layer.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  INSUFFICIENT_POINTS: 'INSUFFICIENT_POINTS',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  LIMIT_REACHED: 'LIMIT_REACHED',
  NOT_ELIGIBLE: 'NOT_ELIGIBLE',
  COUPON_NOT_USABLE: 'COUPON_NOT_USABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badInput = (field: string, message: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { field });

/**
 * A new code that only the case tells from an existing one (`silver` beside `SILVER`): refused,
 * naming the existing spelling. Codes are matched exactly everywhere (tierCodes, filters,
 * redemptions), so a second spelling made a second tier, reward, benefit, rule or campaign.
 */
export const otherCaseOf = (field: string, what: string, code: string, existing: string) =>
  badInput(field, `${what} ${code} is the existing ${what} ${existing} in another case: use ${existing}`);

/** A staff member's reason for a change (shown in the member's history and the audit log): 1 to 500 characters, not only spaces. */
export function assertReason(reason: string, field = 'reason'): void {
  if (!reason.trim() || reason.length > 500) throw badInput(field, `${field} must be 1 to 500 characters`);
}
/** An expiringPoints window: a whole number of days from 0 to 3650 (ten years). */
export function assertWithinDays(withinDays: number): void {
  if (!Number.isInteger(withinDays) || withinDays < 0 || withinDays > 3650) throw badInput('withinDays', 'withinDays must be a whole number from 0 to 3650');
}
export const notFound = (entity: string, id: string) =>
  new AppError(ErrorCode.NOT_FOUND, `${entity} ${id} not found`, { entity, id });
export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.CONFLICT, message, details);
/** A coupon that cannot be used or cancelled as asked; `status` is the coupon's (ISSUED, USED, CANCELLED, EXPIRED). */
export const couponNotUsable = (status: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.COUPON_NOT_USABLE, message, { status, ...details });
export const forbidden = (message = 'Not allowed') => new AppError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = 'Authentication required') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
