/**
 * The special functions the BG/NBD model needs: ln Γ, ln B, ψ and Gauss's hypergeometric 2F1,
 * plus a log-sum-exp. Pure functions, no I/O.
 */

/** The Lanczos coefficients for g = 7, n = 9. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
/** g + ½ for Lanczos's g = 7. */
const LANCZOS_SHIFT = 7.5;
/** Below this, lgamma uses the reflection formula Γ(z)Γ(1 − z) = π / sin(πz). */
const REFLECTION_BELOW = 0.5;

/** ln Γ(z) for z > 0 (Lanczos, g = 7): accurate to about 1e-14. */
export function lgamma(z: number): number {
  if (z < REFLECTION_BELOW) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lgamma(1 - z);
  z -= 1;
  let x = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) x += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_SHIFT;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export const lbeta = (a: number, b: number) => lgamma(a) + lgamma(b) - lgamma(a + b);

/** digamma steps z up by ψ(z + 1) = ψ(z) + 1/z until z reaches this, where its asymptotic series is accurate. */
const DIGAMMA_ASYMPTOTIC_FROM = 10;

/** ψ(z) = d ln Γ(z) / dz for z > 0: recurrence up to z ≥ 10, then the asymptotic series (about 1e-15). */
export function digamma(z: number): number {
  let shift = 0;
  for (; z < DIGAMMA_ASYMPTOTIC_FROM; z++) shift -= 1 / z;
  const w = 1 / (z * z);
  // ln z − 1/(2z) − Σ B₂ₖ / (2k z²ᵏ), k = 1..6, in Horner form.
  return shift + Math.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (1 / 240 - w * (1 / 132 - (691 / 32760) * w)))));
}

/** ln(eᵃ + eᵇ), the larger term factored out so that exp cannot overflow. */
export function logSumExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** hyp2f1 stops adding terms once a term is below this fraction of the sum... */
const HYP2F1_RELATIVE_TOLERANCE = 1e-15;
/** ...or after this many (as z nears 1 the series converges ever more slowly). */
const HYP2F1_MAX_TERMS = 1_000_000;

/** Gauss hypergeometric 2F1(a, b; c; z) for 0 ≤ z < 1, by its series (terms are positive here). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let j = 0; j < HYP2F1_MAX_TERMS; j++) {
    term *= ((a + j) * (b + j)) / ((c + j) * (j + 1)) * z;
    sum += term;
    if (Math.abs(term) < HYP2F1_RELATIVE_TOLERANCE * Math.abs(sum)) return sum;
  }
  return sum;
}
