/**
 * What the page reports about itself. Installed with `addInitScript`, so it runs in the
 * main frame before any of the page's own scripts and every PerformanceObserver sees the
 * whole load (`buffered: true` covers entries queued before registration; `longtask` has no
 * buffer, which is why registering first matters). It only records raw entries: the metric
 * definitions (CLS session windows, INP, TBT) are computed in Node (`metrics.ts`), where
 * they are plain functions with tests.
 *
 * Elements are described when the entry arrives, because an LCP or shifted node may be gone
 * by the time we read the results.
 *
 * Plain JavaScript in a string: it runs in the browser and the project compiles without DOM types.
 */
export const PAGE_OBSERVER_SCRIPT = String.raw`(() => {
  if (window.top !== window || window.__perfengVitals) return;
  const store = { lcp: [], shifts: [], events: [], firstInput: [], longTasks: [], frames: [], paints: [], unsupported: [] };
  Object.defineProperty(window, '__perfengVitals', { value: store, enumerable: false });
  const describe = (node) => {
    try {
      if (!node || node.nodeType !== 1) {
        if (node && node.parentElement) node = node.parentElement; else return null;
      }
      const part = (el) => {
        let s = el.tagName.toLowerCase();
        if (el.id) return s + '#' + el.id;
        const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean).slice(0, 2) : [];
        if (cls.length) s += '.' + cls.join('.');
        return s;
      };
      const path = [];
      let el = node;
      while (el && el.nodeType === 1 && path.length < 4) {
        path.unshift(part(el));
        if (el.id || el.tagName === 'BODY') break;
        el = el.parentElement;
      }
      const info = { selector: path.join(' > '), tag: node.tagName.toLowerCase() };
      const src = node.currentSrc || node.src || (node.tagName === 'VIDEO' ? node.poster : '');
      if (src) info.url = String(src).slice(0, 300);
      else {
        const bg = getComputedStyle(node).backgroundImage;
        const m = bg && /url\(["']?([^"')]+)/.exec(bg);
        if (m) info.url = m[1].slice(0, 300);
      }
      const text = (node.textContent || '').replace(/\s+/g, ' ').trim();
      if (text && !info.url) info.text = text.slice(0, 80);
      return info;
    } catch (e) {
      return null;
    }
  };
  const observe = (type, onEntry, extra) => {
    try {
      if (!PerformanceObserver.supportedEntryTypes.includes(type)) { store.unsupported.push(type); return; }
      new PerformanceObserver((list) => { for (const e of list.getEntries()) onEntry(e); })
        .observe(Object.assign({ type, buffered: true }, extra || {}));
    } catch (e) {
      store.unsupported.push(type);
    }
  };
  observe('paint', (e) => store.paints.push({ name: e.name, startTime: e.startTime }));
  observe('largest-contentful-paint', (e) => {
    const element = describe(e.element);
    if (element) element.size = e.size;
    store.lcp.push({ startTime: e.startTime, size: e.size, url: e.url || undefined, element });
  });
  observe('layout-shift', (e) => {
    store.shifts.push({
      startTime: e.startTime,
      value: e.value,
      hadRecentInput: e.hadRecentInput,
      sources: (e.sources || []).slice(0, 3).map((s) => (describe(s.node) || {}).selector || '(removed node)'),
    });
  });
  const eventEntry = (e) => ({
    name: e.name,
    startTime: e.startTime,
    duration: e.duration,
    processingStart: e.processingStart,
    processingEnd: e.processingEnd,
    interactionId: e.interactionId || 0,
    target: (describe(e.target) || {}).selector || '',
  });
  // 16 ms is the smallest durationThreshold the Event Timing API accepts.
  observe('event', (e) => { if (e.interactionId) store.events.push(eventEntry(e)); }, { durationThreshold: 16 });
  observe('first-input', (e) => store.firstInput.push(eventEntry(e)));
  observe('longtask', (e) => store.longTasks.push({ startTime: e.startTime, duration: e.duration }));
  observe('long-animation-frame', (e) => {
    const scripts = (e.scripts || [])
      .map((s) => ({
        duration: s.duration,
        source: [s.sourceFunctionName || s.invoker || '(anonymous)', s.sourceURL ? s.sourceURL + (s.sourceCharPosition >= 0 ? ':' + s.sourceCharPosition : '') : '']
          .filter(Boolean).join(' @ '),
      }))
      .sort((a, b) => b.duration - a.duration);
    store.frames.push({ startTime: e.startTime, duration: e.duration, blockingDuration: e.blockingDuration, source: scripts[0] ? scripts[0].source : undefined });
  });
})();`;

/** Reads what the observer collected plus navigation timing; evaluated at the end of a run. */
export const READ_OBSERVATIONS_SCRIPT = String.raw`(() => {
  const store = window.__perfengVitals || null;
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    store,
    now: performance.now(),
    navigation: nav ? {
      responseStart: nav.responseStart,
      domContentLoadedEventEnd: nav.domContentLoadedEventEnd,
      loadEventEnd: nav.loadEventEnd,
      activationStart: nav.activationStart || 0,
      transferSize: nav.transferSize,
    } : null,
  };
})()`;
