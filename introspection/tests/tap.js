// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A tiny TAP harness for the GJS binding tests, loaded with
//
//   imports.searchPath.unshift(GLib.path_get_dirname(imports.system.programPath));
//   const Tap = imports.tap;
//
// Tests are async functions run one after the other inside a GLib main
// loop, each bounded by a timeout. Prints "ok N - name" / "not ok N - name"
// and the plan, and exits non-zero when something failed.
/* exported test, knownBug, run, assert, assertEqual, assertDeepEqual,
   assertThrowsEs, assertEsError, onMainThread, withTimeout, runIsolated,
   makeSystem, IMPLEMENTATIONS, forEachImplementation, Tick, SpecialTick */

imports.gi.versions.GLib = '2.0';
imports.gi.versions.GObject = '2.0';
imports.gi.versions.Gio = '2.0';
imports.gi.versions.EventSys = '1.0';

const {EventSys, Gio, GLib, GObject} = imports.gi;
const System = imports.system;

var IMPLEMENTATIONS = {
    Static: EventSys.ImplementationType.STATIC_FAST_PATH,
    ZeroCopy: EventSys.ImplementationType.ZERO_COPY,
};

const TEST_TIMEOUT_MS = 3000;

// A JS-defined event type: a GObject subclass.
var Tick = GObject.registerClass({
    GTypeName: 'EsJsTestTick',
    Properties: {
        n: GObject.ParamSpec.int('n', 'n', 'n', GObject.ParamFlags.READWRITE,
            -2147483648, 2147483647, 0),
        label: GObject.ParamSpec.string('label', 'label', 'label',
            GObject.ParamFlags.READWRITE, ''),
    },
}, class Tick extends GObject.Object {});

var SpecialTick = GObject.registerClass({
    GTypeName: 'EsJsTestSpecialTick',
}, class SpecialTick extends Tick {});

const _tests = [];

function test(name, fn) {
    _tests.push({name, fn, knownBug: null});
}

// A test for a known library bug: reported as "not ok ... # TODO" while
// it fails, and as a failure once it passes (so the marker gets dropped).
function knownBug(reason, name, fn) {
    _tests.push({name, fn, knownBug: reason});
}

function forEachImplementation(name, fn) {
    for (const [implName, impl] of Object.entries(IMPLEMENTATIONS))
        test(`${implName}.${name}`, () => fn(impl));
}

class AssertionError extends Error {}

function assert(cond, message = 'assertion failed') {
    if (!cond)
        throw new AssertionError(message);
}

function _str(v) {
    try {
        return JSON.stringify(v, (k, x) => typeof x === 'bigint' ? `${x}n` : x);
    } catch (e) {
        return String(v);
    }
}

function assertEqual(actual, expected, message = '') {
    if (actual !== expected)
        throw new AssertionError(`${message} expected ${_str(expected)}, got ${_str(actual)}`);
}

function assertDeepEqual(actual, expected, message = '') {
    if (_str(actual) !== _str(expected))
        throw new AssertionError(`${message} expected ${_str(expected)}, got ${_str(actual)}`);
}

function assertEsError(error, code, message = '') {
    assert(error instanceof GLib.Error, `${message} expected a GLib.Error, got ${error}`);
    assert(error.matches(EventSys.error_quark(), code),
        `${message} expected ES_ERROR code ${code}, got ${error.domain}:${error.code} (${error.message})`);
}

function assertThrowsEs(fn, code, message = '') {
    let error = null;
    try {
        fn();
    } catch (e) {
        error = e;
    }
    assert(error !== null, `${message} expected an error`);
    assertEsError(error, code, message);
    return error;
}

function onMainThread() {
    return GLib.MainContext.default().is_owner();
}

// Resolves/rejects like @promise, or rejects after @ms.
function withTimeout(promise, ms = TEST_TIMEOUT_MS, what = 'operation') {
    return new Promise((resolve, reject) => {
        const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            reject(new AssertionError(`${what} timed out after ${ms} ms`));
            return GLib.SOURCE_REMOVE;
        });
        promise.then(v => {
            GLib.source_remove(id);
            resolve(v);
        }, e => {
            GLib.source_remove(id);
            reject(e);
        });
    });
}

// Systems made by makeSystem() are shut down after each test.
let _systems = [];

function makeSystem(impl, props = {}, start = true) {
    const system = new EventSys.EventSystemBuilder(
        Object.assign({implementation: impl, channel_capacity: 64}, props)).build();
    _systems.push(system);
    if (start)
        system.start();
    return system;
}

function _cleanup() {
    for (const system of _systems) {
        if (system.get_state() === EventSys.EventSystemState.RUNNING)
            system.shutdown();
    }
    _systems = [];
}

// Runs @code (a script that may crash) in a child gjs with this harness
// importable; resolves to its stdout (stderr merged), rejects if it did not
// exit cleanly. @env: variables to set, or to unset when null.
function runIsolated(code, env = {}) {
    const dir = GLib.path_get_dirname(System.programPath);
    const script = `imports.searchPath.unshift(${_str(dir)});\n` +
        'const Tap = imports.tap;\n' +
        'const {EventSys, Gio, GLib, GObject} = imports.gi;\n' +
        `${code}\n`;
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_MERGE,
    });
    launcher.setenv('MALLOC_PERTURB_', '165', true);
    launcher.setenv('MALLOC_CHECK_', '3', true);
    launcher.setenv('G_SLICE', 'always-malloc', true);
    for (const [name, value] of Object.entries(env)) {
        if (value === null)
            launcher.unsetenv(name);
        else
            launcher.setenv(name, value, true);
    }
    const gjs = GLib.getenv('GJS') || 'gjs';
    const proc = launcher.spawnv([gjs, '-c', script]);
    return new Promise((resolve, reject) => {
        proc.communicate_utf8_async(null, null, (p, res) => {
            try {
                const [, stdout] = p.communicate_utf8_finish(res);
                if (p.get_if_exited() && p.get_exit_status() === 0)
                    resolve(stdout);
                else
                    reject(new AssertionError(`child failed (status ${p.get_status()}):\n${stdout.slice(-2000)}`));
            } catch (e) {
                reject(e);
            }
        });
    });
}

function _diag(text) {
    for (const line of String(text).trimEnd().split('\n'))
        print(`# ${line}`);
}

async function _runAll(filter) {
    let n = 0, bad = 0;
    for (const t of _tests) {
        if (filter.length && !filter.some(f => t.name.includes(f)))
            continue;
        n++;
        let error = null;
        try {
            // eslint-disable-next-line no-await-in-loop
            await withTimeout(Promise.resolve().then(() => t.fn()), TEST_TIMEOUT_MS + 2000, t.name);
        } catch (e) {
            error = e;
        }
        try {
            _cleanup();
        } catch (e) {
            error = error || e;
        }
        // Let sources the test left behind run down.
        const ctx = GLib.MainContext.default();
        while (ctx.pending())
            ctx.iteration(false);

        if (t.knownBug) {
            if (error) {
                print(`not ok ${n} - ${t.name} # TODO ${t.knownBug}`);
                _diag(error);
            } else {
                bad++;
                print(`ok ${n} - ${t.name} # TODO known bug seems fixed: make it a normal test`);
            }
        } else if (error) {
            bad++;
            print(`not ok ${n} - ${t.name}`);
            _diag(`${error}\n${error.stack || ''}`);
        } else {
            print(`ok ${n} - ${t.name}`);
        }
    }
    return [n, bad];
}

function run() {
    const loop = new GLib.MainLoop(null, false);
    let result = [0, 1];
    _runAll(ARGV).then(r => {
        result = r;
    }, e => {
        _diag(`harness error: ${e}\n${e.stack}`);
    }).finally(() => loop.quit());
    loop.run();
    const [n, bad] = result;
    print(`1..${n}`);
    if (bad > 0 || n === 0)
        System.exit(1);
}
