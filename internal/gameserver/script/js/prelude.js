// The parts of a script's Node.js world simplest in JavaScript, built once
// per runtime before the script runs; it leaves no globals behind. host
// holds the Go side: log(level, text), exit(code), loadBuffer(),
// module(name) for lazily built modules, and the ids of trackers.
(function (host) {
  'use strict';
  var customInspect = Symbol.for('nodejs.util.inspect.custom');

  // GameMessage is the type of gameMessage objects, which the host makes
  // (message.go); its prototype holds the methods.
  function GameMessage() {
    throw new TypeError('gameMessage objects come from rtSession.newTextGameMessage or newBinaryGameMessage');
  }
  GameMessage.prototype.getPayloadAsText = function () {
    var p = this.payload;
    if (p === undefined || p === null) return '';
    if (typeof p === 'string') return p;
    return Buffer.from(p).toString('utf8');
  };
  // As a plain data object, the way a script expects to see a message.
  GameMessage.prototype[customInspect] = function (depth, opts, inspect) {
    var plain = {};
    for (var k in this) if (Object.prototype.hasOwnProperty.call(this, k)) plain[k] = this[k];
    return 'GameMessage ' + inspect(plain, opts);
  };

  function logger() {
    function at(level) {
      return function () { host.log(level, format.apply(null, arguments)); };
    }
    var c = { log: at('info'), info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('debug') };
    c.dir = function (v, opts) { host.log('info', inspect(v, opts)); };
    c.assert = function (ok) {
      if (!ok) host.log('error', 'Assertion failed' + (arguments.length > 1 ? ': ' + format.apply(null, Array.prototype.slice.call(arguments, 1)) : ''));
    };
    return c;
  }

  // inspect and format are built on first use (js/inspect.js): a session
  // that never prints pays nothing for them.
  var printer;
  function inspect(v, opts) {
    printer = printer || host.module('_inspect');
    return printer.inspect(v, opts);
  }
  inspect.custom = customInspect;
  function format() {
    // Strings alone, the first without a placeholder, print as they are:
    // the common log line needs no printer.
    var plain = true;
    for (var i = 0; i < arguments.length && plain; i++) {
      plain = typeof arguments[i] === 'string' && (i > 0 || arguments[i].indexOf('%') < 0);
    }
    if (plain) return Array.prototype.join.call(arguments, ' ');
    printer = printer || host.module('_inspect');
    return printer.format.apply(null, arguments);
  }
  // isBuffer does not load Buffer: a runtime that never used it has none.
  function isBuffer(v) {
    var d = Object.getOwnPropertyDescriptor(globalThis, 'Buffer');
    return d !== undefined && d.get === undefined && v instanceof d.value;
  }

  function queueMicrotask(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function. Received ' + inspect(fn));
    Promise.resolve().then(function () { fn(); });
  }

  // Number's toLocaleString as Node's Intl prints it for en-US (goja has
  // no Intl): grouping, fraction digits, percent. Other locales print as
  // en-US.
  Object.defineProperty(Number.prototype, 'toLocaleString', {
    writable: true, configurable: true,
    value: function toLocaleString(locales, opts) {
      var n = Number(this);
      opts = opts || {};
      if (!isFinite(n)) return isNaN(n) ? 'NaN' : n < 0 ? '-∞' : '∞';
      var pct = opts.style === 'percent';
      if (pct) n *= 100;
      var minF = opts.minimumFractionDigits !== undefined ? opts.minimumFractionDigits : 0;
      var maxF = opts.maximumFractionDigits !== undefined ? opts.maximumFractionDigits : Math.max(minF, pct ? 0 : 3);
      var s = Math.abs(n).toFixed(maxF), parts = s.split('.'), frac = parts[1] || '';
      while (frac.length > minF && frac[frac.length - 1] === '0') frac = frac.slice(0, -1);
      var whole = opts.useGrouping === false ? parts[0] : parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      return (n < 0 && Number(s) !== 0 ? '-' : '') + whole + (frac ? '.' + frac : '') + (pct ? '%' : '');
    },
  });

  // macrotask gives the host's run (a callback, then the nextTick queue)
  // a JavaScript frame to run in, so that goja runs the promise jobs only
  // when it returns.
  function macrotask(run) { return run(); }

  return {
    macrotask: macrotask,
    GameMessage: GameMessage, console: logger(), logger: logger, inspect: inspect, format: format, isBuffer: isBuffer,
        queueMicrotask: queueMicrotask,
  };
})
