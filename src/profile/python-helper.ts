/**
 * A tiny Python program (stdlib only; python3 is everywhere) written to the temporary
 * folder and run as `python3 helper.py <mode> <outdir> -- <script.py | -m module | -c code> args…`.
 * It runs the target in-process like `python -m cProfile` does (runpy, sys.argv rewritten),
 * and prints nothing of its own: results go to files in <outdir>.
 *
 * - cpu: cProfile with CPU time as the timer, so the figures are CPU time like every other
 *   runtime here (the default wall-clock timer would charge sleeps, I/O and lock waits to
 *   whichever function waited — the top of a threading server's profile was
 *   `lock.acquire`). cProfile hooks one thread only (sys.setprofile), so every thread gets
 *   its own profiler, started from `threading.setprofile`'s hook on the thread's first call,
 *   timed by `time.thread_time` (that thread's CPU); the per-thread stats are added up at
 *   the end (`pstats.Stats.add`). Handler threads of ThreadingHTTPServer or a
 *   ThreadPoolExecutor thus appear with their own time. From Python 3.12 cProfile sits on
 *   sys.monitoring, which is process-wide: one profiler sees every thread, timed by
 *   `time.process_time`. Writes `profile.pstats` (for snakeviz/gprof2dot) and
 *   `pstats.json`: per function (file, line, name) the call counts, tottime, cumtime and
 *   per-caller edges — what pstats holds, as JSON.
 * - heap: tracemalloc (25 frames); a snapshot after 1 s and one at the end. Writes
 *   `tracemalloc.json`: the end snapshot's live allocations by traceback (each frame's
 *   enclosing function found from the source's AST, since tracemalloc records only
 *   file:line) and the lines that grew most between the two snapshots.
 * Stopping: the first SIGINT raises KeyboardInterrupt and the first SIGTERM SystemExit, so
 * the `finally` that writes results runs; every later SIGINT/SIGTERM is ignored, and both
 * are ignored outright once writing starts — a second signal (a stop sent to the whole
 * process group, an impatient caller) used to interrupt the write and leave no profile.
 * A program that installs its own handlers keeps them.
 */
export const PYTHON_HELPER = String.raw`
import ast, json, os, runpy, signal, sys, sysconfig, threading, time

def main():
    mode, outdir = sys.argv[1], sys.argv[2]
    rest = sys.argv[sys.argv.index('--') + 1:]
    if not rest:
        sys.stderr.write('perfeng helper: nothing to run\n'); sys.exit(2)
    stopping = []
    def on_stop(signum, frame):
        if stopping:
            return
        stopping.append(signum)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if rest[0] == '-m':
        target = ('module', rest[1]); sys.argv = [rest[1]] + rest[2:]
    elif rest[0] == '-c':
        target = ('code', rest[1]); sys.argv = ['-c'] + rest[2:]
    else:
        if not os.path.exists(rest[0]):
            sys.stderr.write("perfeng helper: can't open file '%s': no such file\n" % rest[0]); sys.exit(66)
        target = ('path', rest[0]); sys.argv = rest[:]
        sys.path.insert(0, os.path.dirname(os.path.abspath(rest[0])))
    info = {'stdlib': sysconfig.get_paths().get('stdlib', ''), 'purelib': sysconfig.get_paths().get('purelib', ''), 'pid': os.getpid(), 'argv': rest, 'exit': None}
    keep = {}
    def run():
        if target[0] == 'module':
            keep['g'] = runpy.run_module(target[1], run_name='__main__', alter_sys=True)
        elif target[0] == 'code':
            g = {'__name__': '__main__'}; keep['g'] = g
            exec(compile(target[1], '<string>', 'exec'), g)
        else:
            keep['g'] = runpy.run_path(target[1], run_name='__main__')
    code = 0
    line_memory = start_line_memory(os.environ.get('PERFENG_MEMORY_FUNCTION'), outdir)
    if mode == 'cpu':
        import cProfile
        per_thread = sys.version_info < (3, 12)
        prof = cProfile.Profile(time.thread_time if per_thread else time.process_time)
        profs = [prof]
        def start_thread_profiler(frame, event, arg):
            # Runs once, on a new thread's first call: replace this hook by the thread's own profiler.
            p = cProfile.Profile(time.thread_time)
            profs.append(p)
            p.enable()
        try:
            if per_thread:
                threading.setprofile(start_thread_profiler)
            prof.enable()
            try:
                run()
            finally:
                prof.disable()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except KeyboardInterrupt:
            code = 130
        finally:
            ignore_stop_signals()
            threading.setprofile(None)
            write_pstats(profs, outdir, info, code)
    elif mode == 'leak':
        import tracemalloc
        # 10 frames reach from an allocation to the program's own frame in practice and cost
        # far less per allocation than 25 under load.
        tracemalloc.start(10)
        start_leak_watch(tracemalloc, outdir, info)
        try:
            run()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except KeyboardInterrupt:
            code = 130
        finally:
            ignore_stop_signals()
    else:
        import tracemalloc
        tracemalloc.start(25)
        first = {}
        def early():
            time.sleep(1.0)
            try:
                first['s'] = tracemalloc.take_snapshot()
            except Exception:
                pass
        threading.Thread(target=early, daemon=True).start()
        try:
            try:
                run()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except KeyboardInterrupt:
                code = 130
        finally:
            ignore_stop_signals()
            write_tracemalloc(tracemalloc, first.get('s'), outdir, info, code)
    if line_memory is not None:
        line_memory()
    sys.exit(code)

def ignore_stop_signals():
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except Exception:
            pass

class StatsOf:
    # What pstats.Stats accepts as a profile, without the create_stats() that would disable a profiler.
    def __init__(self, stats):
        self.stats = stats
    def create_stats(self):
        pass

def write_pstats(profs, outdir, info, code):
    import pstats
    st = None
    for p in list(profs):
        try:
            # create_stats() would disable the profiler on *this* thread only; read the others as they are.
            p.snapshot_stats()
        except Exception:
            continue
        if not p.stats:
            continue
        snap = StatsOf(p.stats)
        if st is None:
            st = pstats.Stats(snap)
        else:
            st.add(pstats.Stats(snap))
    if st is None:
        st = pstats.Stats(StatsOf({}))
    st.dump_stats(os.path.join(outdir, 'profile.pstats'))
    info['threads'] = len(profs)
    keys = list(st.stats.keys())
    index = {k: i for i, k in enumerate(keys)}
    funcs = []
    for k in keys:
        cc, nc, tt, ct, callers = st.stats[k]
        funcs.append({'file': k[0], 'line': k[1], 'name': k[2], 'cc': cc, 'nc': nc, 'tt': tt, 'ct': ct,
                      'callers': [[index[c], v[0], v[1], v[2], v[3]] for c, v in callers.items() if c in index]})
    info['exit'] = code
    with open(os.path.join(outdir, 'pstats.json.tmp'), 'w') as f:
        json.dump({'info': info, 'functions': funcs, 'timer': 'thread_time' if sys.version_info < (3, 12) else 'process_time'}, f)
    os.replace(os.path.join(outdir, 'pstats.json.tmp'), os.path.join(outdir, 'pstats.json'))

def start_leak_watch(tracemalloc, outdir, info):
    # kind "leak": traced memory and RSS every 250 ms to samples.jsonl; a tracemalloc
    # snapshot when snapshot-N.request appears (1 after the warm-up, 3 when the load has
    # ended); at 3 the growth since 1, by traceback, goes to leak.json.
    import gc
    page = os.sysconf('SC_PAGE_SIZE')
    snaps = {}
    def rss():
        try:
            with open('/proc/self/statm') as f:
                return int(f.read().split()[1]) * page
        except Exception:
            return 0
    def watch():
        with open(os.path.join(outdir, 'samples.jsonl'), 'a') as out:
            while True:
                for n in (1, 3):
                    if n in snaps or not os.path.exists(os.path.join(outdir, 'snapshot-%d.request' % n)):
                        continue
                    gc.collect()
                    snaps[n] = tracemalloc.take_snapshot()
                    if n == 3:
                        write_leak(tracemalloc, snaps.get(1), snaps[3], outdir, info)
                    open(os.path.join(outdir, 'snapshot-%d.done' % n), 'w').close()
                # After a collection, like Node's post-GC samples: cyclic garbage waiting for the
                # collector would otherwise scatter the samples by its size.
                gc.collect()
                out.write(json.dumps({'t': time.time() * 1000, 'traced': tracemalloc.get_traced_memory()[0], 'rss': rss()}) + '\n')
                out.flush()
                time.sleep(0.25)
    threading.Thread(target=watch, daemon=True).start()

def write_leak(tracemalloc, first, last, outdir, info):
    own = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__), tracemalloc.Filter(False, threading.__file__)]
    last = last.filter_traces(own)
    stats = last.compare_to(first.filter_traces(own), 'traceback') if first is not None else last.statistics('traceback')
    lib = (info['stdlib'], info['purelib'])
    sites = {}
    for st in stats:
        size = getattr(st, 'size_diff', st.size)
        count = getattr(st, 'count_diff', st.count)
        if size <= 0:
            continue
        frames = list(st.traceback)  # oldest → most recent
        pick = None
        for fr in reversed(frames):
            if not (lib[0] and fr.filename.startswith(lib[0])) and not (lib[1] and fr.filename.startswith(lib[1])) and not fr.filename.startswith('<'):
                pick = fr
                break
        if pick is None:
            pick = frames[-1]
        key = (pick.filename, pick.lineno)
        site = sites.get(key)
        if site is None:
            site = sites[key] = {'file': pick.filename, 'line': pick.lineno, 'function': enclosing_function(pick.filename, pick.lineno)[0], 'bytes': 0, 'count': 0}
        site['bytes'] += size
        site['count'] += count
    top = sorted(sites.values(), key=lambda s: -s['bytes'])[:50]
    with open(os.path.join(outdir, 'leak.json.tmp'), 'w') as f:
        json.dump({'info': info, 'sites': top, 'compared': first is not None}, f)
    os.replace(os.path.join(outdir, 'leak.json.tmp'), os.path.join(outdir, 'leak.json'))

def write_json(outdir, name, value):
    with open(os.path.join(outdir, name + '.tmp'), 'w') as f:
        json.dump(value, f)
    os.replace(os.path.join(outdir, name + '.tmp'), os.path.join(outdir, name))

def start_line_memory(name, outdir):
    # memoryFunction: memory_profiler's line-by-line memory (RSS before/after each line, MiB)
    # of every function with that name. Debian's python3-memory-profiler lives in
    # /usr/lib/python3/dist-packages, which another interpreter of the same version can use.
    if not name:
        return None
    try:
        import memory_profiler
    except ImportError:
        extra = '/usr/lib/python3/dist-packages'
        if os.path.isdir(extra) and extra not in sys.path:
            sys.path.append(extra)
        try:
            import memory_profiler
        except Exception as e:
            write_json(outdir, 'line_memory.json', {'error': 'memory_profiler is not importable: %s' % e})
            return None
    lp = memory_profiler.LineProfiler()
    lp._original_trace_function = None  # set by its enable(), which would trace every frame
    def tracer(frame, event, arg):
        code = frame.f_code
        if event == 'call' and code.co_name == name and code not in lp.code_map:
            lp.code_map.add(code)
        if code in lp.code_map:
            return lp.trace_memory_usage(frame, event, arg)
        return None  # no line events for every other frame
    threading.settrace(tracer)
    sys.settrace(tracer)
    def finish():
        sys.settrace(None)
        threading.settrace(None)
        import linecache
        found = []
        for filename, code, linenos in lp.code_map._toplevel:
            measures = lp.code_map[code]
            lines = []
            for ln in linenos:
                m = measures.get(ln)
                if m:
                    lines.append({'line': ln, 'incrementMiB': round(m[0], 3), 'memMiB': round(m[1], 3), 'occurrences': m[2], 'code': linecache.getline(filename, ln).rstrip()[:160]})
            found.append({'function': code.co_name, 'file': filename, 'line': code.co_firstlineno, 'lines': lines})
        write_json(outdir, 'line_memory.json', {'functions': found})
    return finish

_ast_cache = {}
def enclosing_function(filename, lineno):
    if filename not in _ast_cache:
        spans = []
        try:
            with open(filename, 'rb') as f:
                tree = ast.parse(f.read(), filename)
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    spans.append((node.lineno, getattr(node, 'end_lineno', node.lineno), getattr(node, 'name', '<lambda>')))
        except Exception:
            pass
        _ast_cache[filename] = spans
    best = None
    for start, end, name in _ast_cache[filename]:
        if start <= lineno <= end and (best is None or start >= best[0]):
            best = (start, end, name)
    return (best[2], best[0]) if best else ('<module>', 1)

def write_tracemalloc(tracemalloc, first, outdir, info, code):
    snap = tracemalloc.take_snapshot()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    snap = snap.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
    stacks = []
    for stat in snap.statistics('traceback')[:5000]:
        frames = []
        for fr in stat.traceback:  # oldest → most recent since Python 3.7
            name, start = enclosing_function(fr.filename, fr.lineno)
            frames.append([fr.filename, fr.lineno, name, start])
        stacks.append({'frames': frames, 'size': stat.size, 'count': stat.count})
    growth = []
    if first is not None:
        first = first.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
        for d in snap.compare_to(first, 'lineno')[:50]:
            fr = d.traceback[0]
            growth.append({'file': fr.filename, 'line': fr.lineno, 'bytes': d.size_diff, 'count': d.count_diff})
    info['exit'] = code
    info['traced_current'] = current
    info['traced_peak'] = peak
    with open(os.path.join(outdir, 'tracemalloc.json.tmp'), 'w') as f:
        json.dump({'info': info, 'stacks': stacks, 'growth': growth}, f)
    os.replace(os.path.join(outdir, 'tracemalloc.json.tmp'), os.path.join(outdir, 'tracemalloc.json'))

main()
`;
