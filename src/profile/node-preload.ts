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
 * Files are written under a temporary name and renamed, so a reader never sees half a file.
 */
export const NODE_PRELOAD_CJS = String.raw`'use strict';
(function () {
  var dir = process.env.PERFENG_PROFILE_DIR;
  if (!dir) return;
  var inspector, fs, path;
  try { inspector = require('node:inspector'); fs = require('node:fs'); path = require('node:path'); } catch (e) { return; }
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
  try { threadId = require('node:worker_threads').threadId || 0; } catch (e) {}
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
    session.post('Profiler.stop', function (err, result) {
      if (err) return failed('Profiler.stop', err);
      try { write('.cpuprofile', result.profile); } catch (e) { failed('write cpuprofile', e); }
    });
    if (heapBytes > 0) {
      session.post('HeapProfiler.stopSampling', function (err, result) {
        if (err) return failed('HeapProfiler.stopSampling', err);
        try { write('.heapprofile', result.profile); } catch (e) { failed('write heapprofile', e); }
      });
    }
  };
  process.on('exit', finish);
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
