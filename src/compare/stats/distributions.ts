// biome-ignore-all lint/correctness/noPrecisionLoss: fdlibm's coefficients are kept digit for digit as published, so they can be checked against s_erf.c.
/**
 * The few distribution functions the statistics need, written here because the npm options
 * are either unmaintained (jstat) or pull in a large tree (@stdlib) for four functions.
 * Each cites its method; accuracy is checked against SciPy in test/compare/.
 */

/**
 * Complementary error function, Sun's fdlibm `s_erf.c` (the algorithm and coefficients Go's
 * math.Erfc uses, so benchstat's normal-approximation p-values are reproduced to the last
 * digit or two): rational approximations on [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35) and
 * [1/0.35, 28), error below 1 ulp. Written out because the npm ports come with a large tree.
 */
const ERX = 8.45062911510467529297e-1;
const PP = [1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.9602282787753681232e-6];
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1,
  3.54783043256182359371e-2, -2.166375594868790843e-3,
];
const QA = [
  1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2,
  1.1984499846799107417e-2,
];
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2,
  -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
  6.57024977031928170135, -6.04244152148580987438e-2,
];
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2,
  -1.02509513161107724954e3, -4.83519191608651397019e2,
];
const SB = [
  3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
  -2.24409524465858183362e1,
];

/** c[0] + s·(c[1] + s·(…)) */
function horner(c: readonly number[], s: number): number {
  // reduceRight without a seed starts from the last coefficient: the same steps as fdlibm.
  return c.reduceRight((r, ci) => ci + s * r);
}

const scratch = new DataView(new ArrayBuffer(8));

export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  const sign = x < 0;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    let temp: number;
    if (ax < 2 ** -56) temp = ax;
    else {
      const z = ax * ax;
      const y = horner(PP, z) / (1 + z * horner(QQ, z));
      temp = ax < 0.25 ? ax + ax * y : 0.5 + (ax * y + (ax - 0.5));
    }
    return sign ? 1 + temp : 1 - temp;
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const ratio = horner(PA, s) / (1 + s * horner(QA, s));
    return sign ? 1 + ERX + ratio : 1 - ERX - ratio;
  }
  if (ax < 28) {
    const s = 1 / (ax * ax);
    let r: number;
    let q: number;
    if (ax < 1 / 0.35) {
      r = horner(RA, s);
      q = 1 + s * horner(SA, s);
    } else {
      if (sign && ax > 6) return 2;
      r = horner(RB, s);
      q = 1 + s * horner(SB, s);
    }
    // z: x with the low 32 bits of its mantissa cleared (fdlibm's trick for an accurate exp(−x²)).
    scratch.setFloat64(0, ax);
    scratch.setUint32(4, 0);
    const z = scratch.getFloat64(0);
    const e = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + r / q);
    return sign ? 2 - e / ax : e / ax;
  }
  return sign ? 2 : 0;
}

/** Standard normal upper tail P(Z > z), accurate in the tail (via erfc). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * Inverse standard normal CDF: P. J. Acklam's rational approximation (relative error
 * 1.15e-9) with one Halley refinement step through erfc, as Acklam suggests and go-moremath's
 * NormalDist.InvCDF does — so benchstat's normal-approximation quantile CI bounds, which round
 * this value, come out the same.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return Number.NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** ln Γ(x) for x > 0: Lanczos approximation (g = 7, n = 9), ~15 significant digits. */
export function logGamma(x: number): number {
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ] as const;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const xx = x - 1;
  let sum: number = coef[0];
  coef.forEach((ci, i) => {
    if (i > 0) sum += ci / (xx + i);
  });
  const t = xx + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Binomial probability mass P(X = k), X ~ Bin(n, p), computed in log space (n up to millions). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  const logC = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/**
 * Continued fraction for the regularised incomplete beta function, modified Lentz's method
 * (Numerical Recipes in C, 2nd ed., §6.4 `betacf`).
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const maxIterations = 300;
  const epsilon = 3e-16;
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < epsilon) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided tail of Student's t: P(|T| > |t|) with `df` degrees of freedom (df may be fractional). */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  if (!(df > 0)) return Number.NaN;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Quantile of Student's t (upper): the t with P(T > t) = p, by bisection on the CDF (used for CIs only). */
export function studentTQuantileUpper(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (studentTTwoSided(hi, df) / 2 > p && hi < 1e6) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) / 2 > p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-12 * hi) break;
  }
  return (lo + hi) / 2;
}
