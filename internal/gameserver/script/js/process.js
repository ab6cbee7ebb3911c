// The process object: what a game script reaches for. Listeners go
// through an EventEmitter built on first use.
//
// nextTick callbacks run when the current callback returns, before its
// promise jobs, and again after the promise jobs for the ticks they
// queued, as in Node: the host drains them (exports.runTicks) once told a
// tick is queued.
var ticks = [], ticking = false;
exports.runTicks = runTicks;
function runTicks() {
  while (ticks.length > 0) {
    var t = ticks.shift();
    t.fn.apply(undefined, t.args);
  }
  ticking = false;
}
function nextTick(fn) {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function. Received ' + internals.inspect(fn));
  ticks.push({ fn: fn, args: Array.prototype.slice.call(arguments, 1) });
  if (!ticking) {
    ticking = true;
    internals.tickQueued();
  }
}
exports.process = function process(env, argv, exit, hrtime, uptime, memoryUsage) {
  var p = {
    title: 'node', version: internals.version, versions: { node: internals.version.slice(1) },
    arch: 'x64', platform: 'linux', release: { name: 'node', lts: 'Krypton' }, pid: 1, ppid: 0, exitCode: undefined,
    env: env, argv: argv, execArgv: [], exit: exit, hrtime: hrtime, uptime: uptime, memoryUsage: memoryUsage,
    nextTick: nextTick, cwd: function cwd() { return internals.cwd; },
    emitWarning: function emitWarning(w) { internals.warn((w instanceof Error ? w.name + ': ' + w.message : 'Warning: ' + w)); },
  };
  ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener', 'off', 'removeListener',
    'removeAllListeners', 'emit', 'listeners', 'listenerCount', 'eventNames', 'setMaxListeners', 'getMaxListeners'].forEach(function (m) {
    p[m] = function () {
      var E = internals.module('events');
      if (!(p instanceof E)) {
        Object.setPrototypeOf(p, E.prototype);
        E.call(p);
      }
      return E.prototype[m].apply(p, arguments);
    };
  });
  return p;
};
// emitProcess calls the script's process listeners for name; false when
// it has none.
exports.emitProcess = function emitProcess(p, name, a, b) {
  if (typeof p.listenerCount !== 'function' || Object.getPrototypeOf(p) === Object.prototype) return false;
  if (p.listenerCount(name) === 0) return false;
  p.emit(name, a, b);
  return true;
};
