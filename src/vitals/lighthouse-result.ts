import { round } from '../common/units.js';
import { shortUrl } from './coverage.js';

/**
 * The small summary of a Lighthouse result (LHR) that goes into measure_web_vitals' result:
 * the performance score, the opportunities that did not pass (sorted by estimated savings),
 * the diagnostics worth reading, and Lighthouse's own metric values for the side-by-side
 * table. The full LHR and Lighthouse's HTML report are artefacts.
 *
 * Only the parts of the LHR read here are typed: the report format is Lighthouse's
 * (types/lhr/audit-result.d.ts) and stable across 10–12.
 */
export interface LhrAudit {
  id: string;
  title: string;
  score: number | null;
  scoreDisplayMode: string;
  numericValue?: number;
  displayValue?: string;
  details?: {
    type: string;
    overallSavingsMs?: number;
    overallSavingsBytes?: number;
    items?: Array<Record<string, unknown>>;
  };
}

export interface Lhr {
  lighthouseVersion: string;
  finalDisplayedUrl?: string;
  runtimeError?: { code: string; message: string };
  runWarnings?: string[];
  configSettings: { formFactor: string; throttlingMethod: string; throttling: { rttMs?: number; throughputKbps?: number; cpuSlowdownMultiplier?: number } };
  categories: { performance?: { score: number | null; auditRefs: Array<{ id: string; group?: string }> } };
  audits: Record<string, LhrAudit>;
}

interface LighthouseOpportunity {
  id: string;
  title: string;
  savingsMs?: number;
  savingsBytes?: number;
  items?: string[];
}

interface LighthouseSummary {
  performanceScore: number | null;
  opportunities: LighthouseOpportunity[];
  diagnostics: Array<{ id: string; title: string; value: string }>;
  metrics: { fcpMs?: number; lcpMs?: number; tbtMs?: number; cls?: number; speedIndexMs?: number };
  /** Every request Lighthouse's page made, for the host allow-list check. */
  requestUrls: string[];
}

// Lighthouse's report counts an audit as passed from a score of 0.9 (report/renderer/report-utils.js PASS_THRESHOLD).
const PASS_THRESHOLD = 0.9;
const SKIPPED_MODES = new Set(['notApplicable', 'error', 'manual']);
/** Informative diagnostics that answer "why is it slow" even when nothing failed. */
const ALWAYS_SHOWN = ['largest-contentful-paint-element', 'mainthread-work-breakdown', 'bootup-time', 'total-byte-weight'];

const failed = (a: LhrAudit) => !SKIPPED_MODES.has(a.scoreDisplayMode) && a.score !== null && a.score < PASS_THRESHOLD;

function itemUrls(audit: LhrAudit): string[] {
  const items = audit.details?.items ?? [];
  const weight = (i: Record<string, unknown>) => Number(i.wastedMs ?? 0) * 1e6 + Number(i.wastedBytes ?? 0);
  return [...items]
    .filter((i) => typeof i.url === 'string')
    .sort((a, b) => weight(b) - weight(a))
    .slice(0, 3)
    .map((i) => shortUrl(String(i.url)));
}

/** The LCP element's selector from the audit's first table (a `node` item). */
function lcpElementText(audit: LhrAudit): string | undefined {
  const table = audit.details?.items?.[0] as { items?: Array<{ node?: { selector?: string; nodeLabel?: string } }> } | undefined;
  const node = table?.items?.[0]?.node;
  return node?.selector ?? node?.nodeLabel;
}

export function summariseLighthouse(lhr: Lhr, limit = 5): LighthouseSummary {
  const category = lhr.categories.performance;
  const refs = category?.auditRefs ?? [];
  const audits = refs
    .map((r) => ({ ref: r, audit: lhr.audits[r.id] }))
    .filter((x): x is { ref: { id: string; group?: string }; audit: LhrAudit } => x.audit !== undefined);

  const opportunities = audits
    .filter(({ audit }) => audit.details?.type === 'opportunity' && failed(audit))
    .map(({ audit }) => {
      const savingsMs = audit.details?.overallSavingsMs;
      const savingsBytes = audit.details?.overallSavingsBytes;
      const items = itemUrls(audit);
      return {
        id: audit.id,
        title: audit.title,
        ...(savingsMs ? { savingsMs: Math.round(savingsMs) } : {}),
        ...(savingsBytes ? { savingsBytes: Math.round(savingsBytes) } : {}),
        ...(items.length ? { items } : {}),
      };
    })
    .filter((o) => (o.savingsMs ?? 0) > 0 || (o.savingsBytes ?? 0) > 0)
    .sort((a, b) => (b.savingsMs ?? 0) - (a.savingsMs ?? 0) || (b.savingsBytes ?? 0) - (a.savingsBytes ?? 0))
    .slice(0, limit);

  const diagnosticAudits = audits.filter(
    ({ ref, audit }) => ref.group === 'diagnostics' && audit.details?.type !== 'opportunity' && !SKIPPED_MODES.has(audit.scoreDisplayMode),
  );
  const shown = [
    ...diagnosticAudits.filter(({ audit }) => failed(audit)),
    ...ALWAYS_SHOWN.flatMap((id) => diagnosticAudits.filter(({ audit }) => audit.id === id && !failed(audit))),
  ];
  const diagnostics = shown.slice(0, limit + 2).map(({ audit }) => {
    let value = audit.displayValue ?? (audit.numericValue !== undefined ? String(round(audit.numericValue, 1)) : '');
    if (audit.id === 'largest-contentful-paint-element') {
      const element = lcpElementText(audit);
      if (element) value = value ? `${value}: ${element}` : element;
    }
    return { id: audit.id, title: audit.title, value: shortUrl(value, 160) };
  });

  const numeric = (id: string, digits = 0) => {
    const v = lhr.audits[id]?.numericValue;
    return typeof v === 'number' && Number.isFinite(v) ? round(v, digits) : undefined;
  };
  const metrics = {
    fcpMs: numeric('first-contentful-paint'),
    lcpMs: numeric('largest-contentful-paint'),
    tbtMs: numeric('total-blocking-time'),
    cls: numeric('cumulative-layout-shift', 4),
    speedIndexMs: numeric('speed-index'),
  };
  const requestItems = (lhr.audits['network-requests']?.details?.items ?? []) as Array<{ url?: unknown }>;
  return {
    performanceScore: typeof category?.score === 'number' ? Math.round(category.score * 100) : null,
    opportunities,
    diagnostics,
    metrics: Object.fromEntries(Object.entries(metrics).filter(([, v]) => v !== undefined)),
    requestUrls: requestItems.map((i) => i.url).filter((u): u is string => typeof u === 'string'),
  };
}
