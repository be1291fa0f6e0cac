import type { VitalsInput, VitalsOutput } from './schema.js';

/**
 * Device and throttling presets, taken from Lighthouse (core/config/constants.js) so numbers
 * can be compared with a Lighthouse run of the same page:
 * - screenEmulationMetrics.mobile: 412×823, DPR 1.75, mobile, touch; desktop: 1350×940, DPR 1.
 * - throttling.mobileSlow4G with "devtools" throttling (what CDP applies): request latency
 *   150 ms × 3.75 = 562.5 ms, download 1.6 Mbit/s × 0.9 = 1474.56 kbit/s, upload 750 × 0.9 =
 *   675 kbit/s, CPU slowdown ×4.
 */
export type Throttling = VitalsOutput['throttling'];

export const THROTTLING_PRESETS: Record<'none' | 'mobile-slow-4g', Throttling> = {
  none: { profile: 'none', cpuSlowdown: 1, latencyMs: 0, downloadKbps: 0, uploadKbps: 0 },
  'mobile-slow-4g': { profile: 'mobile-slow-4g', cpuSlowdown: 4, latencyMs: 562.5, downloadKbps: 1474.56, uploadKbps: 675 },
};

export function resolveThrottling(input: VitalsInput['throttling']): Throttling {
  if (typeof input === 'string') return THROTTLING_PRESETS[input];
  return { profile: 'custom', ...input };
}

export interface DeviceProfile {
  viewport: { width: number; height: number };
  deviceScaleFactor: number;
  isMobile: boolean;
  hasTouch: boolean;
  userAgent?: (browserVersion: string) => string;
}

export const DEVICE_PROFILES: Record<VitalsInput['device'], DeviceProfile> = {
  desktop: { viewport: { width: 1350, height: 940 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false },
  mobile: {
    viewport: { width: 412, height: 823 },
    deviceScaleFactor: 1.75,
    isMobile: true,
    hasTouch: true,
    // Lighthouse's moto g power UA with our Chromium's major version.
    userAgent: (version) =>
      `Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version.split('.')[0]}.0.0.0 Mobile Safari/537.36`,
  },
};

/** CDP wants bytes per second; -1 disables a limit. */
export function kbpsToBytesPerSecond(kbps: number): number {
  return kbps > 0 ? (kbps * 1024) / 8 : -1;
}
