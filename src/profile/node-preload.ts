/**
 * The preload injected into every Node.js process of the launched tree through
 * `NODE_OPTIONS=--require=<file>` (so `node x.js`, `npm start`, `npx tsx …` and the node
 * processes they spawn are all covered: NODE_OPTIONS is inherited).
 *
 * Why not `--cpu-prof`: Node 20 refuses it in NODE_OPTIONS ("--cpu-prof is not allowed in
 * NODE_OPTIONS"), and a process killed by a signal writes nothing. The preload starts the
 * same V8 sampling profiler through the in-process inspector session and writes the
 * profile from an `exit` handler (inspector calls complete synchronously there). On
 * SIGINT/SIGTERM it exits the process so the handler runs — unless the program has its own
 * handler (graceful shutdown), which then decides; a fallback exit follows after 3 s.
 *
 * A CPU-bound program never returns to its event loop, so it never sees a signal. For that
 * case a small worker thread watches for a `stop` file in the output folder (the launcher
 * writes it before signalling) and asks the main thread, through the inspector
 * (`connectToMainThread` + `Runtime.evaluate`, dispatched by V8 interrupt even inside a busy
 * loop — the mechanism DevTools' "pause" uses), to write its profile now. The launcher waits
 * for the files, then signals as usual, so the program's own shutdown still runs.
 * Files are written under a temporary name and renamed, so a reader never sees half a file.
 * Worker threads of the program are not profiled (only the main thread of each process).
 */
export const NODE_PRELOAD_CJS = String.raw`'use strict';
(function () {
  var dir = process.env.PERFENG_PROFILE_DIR;
  if (!dir) return;
  var inspector, fs, path, threads;
  try { inspector = require('node:inspector'); fs = require('node:fs'); path = require('node:path'); threads = require('node:worker_threads'); } catch (e) { return; }
  if (!threads.isMainThread) return;
  var interval = Number(process.env.PERFENG_PROFILE_INTERVAL_US) || 1000;
  var heapBytes = Number(process.env.PERFENG_PROFILE_HEAP_BYTES) || 0;
  var session = new inspector.Session();
  try { session.connect(); } catch (e) { return; }
  var started = Date.now();
  var failed = function (what, err) { try { fs.writeFileSync(path.join(dir, 'error-' + process.pid + '.txt'), what + ': ' + (err && err.message || err)); } catch (e) {} };
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: interval });
  session.post('Profiler.start', function (err) { if (err) failed('Profiler.start', err); });
  if (heapBytes > 0) {
    session.post('HeapProfiler.enable');
    session.post('HeapProfiler.startSampling', { samplingInterval: heapBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, function (err) { if (err) failed('HeapProfiler.startSampling', err); });
  }
  var threadId = 0;
  var base = path.join(dir, 'node-' + process.pid + '-' + threadId);
  var write = function (suffix, value) {
    var tmp = base + suffix + '.tmp';
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, base + suffix);
  };
  var done = false;
  var finish = function () {
    if (done) return;
    done = true;
    try {
      fs.writeFileSync(base + '.json', JSON.stringify({ pid: process.pid, ppid: process.ppid, threadId: threadId, argv: process.argv, execArgv: process.execArgv, startedAt: started, endedAt: Date.now() }));
    } catch (e) {}
    // Heap first: stopping the CPU profiler first leaves the heap profile's frames without url/line.
    if (heapBytes > 0) {
      session.post('HeapProfiler.stopSampling', function (err, result) {
        if (err) return failed('HeapProfiler.stopSampling', err);
        try { write('.heapprofile', result.profile); } catch (e) { failed('write heapprofile', e); }
      });
    }
    session.post('Profiler.stop', function (err, result) {
      if (err) return failed('Profiler.stop', err);
      try { write('.cpuprofile', result.profile); } catch (e) { failed('write cpuprofile', e); }
    });
  };
  try { fs.writeFileSync(base + '.started', String(started)); } catch (e) {}
  // On a natural exit, stop in beforeExit: at 'exit' V8 may already have dropped the heap
  // profile's script positions (the collector fills them from the CPU profile then).
  process.on('beforeExit', finish);
  process.on('exit', finish);
  // Reached from the watcher thread through the inspector (see above).
  Object.defineProperty(globalThis, '__perfengWriteProfile', { value: finish, enumerable: false });
  try {
    var watcher = new threads.Worker(
      "const { Session } = require('node:inspector'); const fs = require('node:fs'); const { workerData } = require('node:worker_threads');" +
      "const t = setInterval(() => { if (!fs.existsSync(workerData.stop)) return; clearInterval(t);" +
      " const s = new Session(); s.connectToMainThread();" +
      " s.post('Runtime.evaluate', { expression: 'globalThis.__perfengWriteProfile()' }, () => s.disconnect()); }, 100);",
      { eval: true, workerData: { stop: path.join(dir, 'stop') }, env: {}, stdout: false, stderr: false }
    );
    watcher.unref();
    watcher.on('error', function () {});
  } catch (e) {}
  ['SIGINT', 'SIGTERM', 'SIGHUP'].forEach(function (sig) {
    process.on(sig, function () {
      var code = 128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1);
      if (process.listenerCount(sig) <= 1) return process.exit(code);
      // The program handles this signal itself: let it shut down, but not forever.
      setTimeout(function () { process.exit(code); }, 3000).unref();
    });
  });
})();
`;
