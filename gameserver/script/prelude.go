package script

import "github.com/dop251/goja"

// preludeSource builds, once per runtime, the parts of the script's world
// that are simplest in JavaScript: console and the logger over one Go log
// function, util.inspect, and the GameMessage type. It runs before the
// script and leaves no globals behind.
const preludeSource = `(function (log) {
  // GameMessage holds a received payload as the raw ArrayBuffer and makes
  // it a Buffer (sharing its memory) only when the script reads it: most
  // messages of a game are read by op code alone.
  function GameMessage(opCode, sender, payload, reliable, targetPlayer, targetGroup, raw) {
    this.opCode = opCode;
    this.sender = sender;
    this._payload = payload;
    this._raw = raw;
    this.reliable = reliable;
    this.targetPlayer = targetPlayer;
    this.targetGroup = targetGroup;
  }
  Object.defineProperty(GameMessage.prototype, 'payload', {
    get: function () {
      if (this._payload === undefined && this._raw !== undefined) {
        this._payload = Buffer.from(this._raw);
      }
      return this._payload;
    },
    set: function (v) { this._payload = v; this._raw = undefined; },
    enumerable: true,
  });
  Object.defineProperty(GameMessage.prototype, 'opcode', {
    get: function () { return this.opCode; },
    set: function (v) { this.opCode = v; },
  });
  GameMessage.prototype.getPayloadAsText = function () {
    var p = this.payload;
    if (p === undefined || p === null) return '';
    if (typeof p === 'string') return p;
    return Buffer.from(p).toString('utf8');
  };

  function logger() {
    function at(level) {
      return function () { log(level, format.apply(null, arguments)); };
    }
    return { log: at('info'), info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('debug') };
  }

  function inspect(value, opts) {
    var maxDepth = opts && typeof opts.depth === 'number' ? opts.depth : 2;
    var seen = [];
    function str(v, depth) {
      switch (typeof v) {
      case 'string': return "'" + v.replace(/'/g, "\\'") + "'";
      case 'function': return '[Function: ' + (v.name || '(anonymous)') + ']';
      case 'undefined': return 'undefined';
      case 'symbol': return v.toString();
      case 'bigint': return v.toString() + 'n';
      case 'object': break;
      default: return String(v);
      }
      if (v === null) return 'null';
      if (seen.indexOf(v) >= 0) return '[Circular]';
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Error) return v.stack || String(v);
      if (depth > maxDepth) return Array.isArray(v) ? '[Array]' : '[Object]';
      seen.push(v);
      var out;
      if (Array.isArray(v)) {
        out = v.length === 0 ? '[]' : '[ ' + v.map(function (x) { return str(x, depth + 1); }).join(', ') + ' ]';
      } else if (v instanceof Map) {
        var parts = [];
        v.forEach(function (val, key) { parts.push(str(key, depth + 1) + ' => ' + str(val, depth + 1)); });
        out = 'Map(' + v.size + ') { ' + parts.join(', ') + ' }';
      } else if (ArrayBuffer.isView(v)) {
        out = (v.constructor && v.constructor.name || 'TypedArray') + ' [ ' + Array.prototype.slice.call(v, 0, 50).join(', ') + (v.length > 50 ? ', ...' : '') + ' ]';
      } else {
        var keys = Object.keys(v);
        out = keys.length === 0 ? '{}' : '{ ' + keys.map(function (k) {
          return (/^[A-Za-z_$][\w$]*$/.test(k) ? k : "'" + k + "'") + ': ' + str(v[k], depth + 1);
        }).join(', ') + ' }';
      }
      seen.pop();
      return out;
    }
    return str(value, 0);
  }

  // format follows Node's util.format: %s %d %i %f %j %o %O %% in a string
  // first argument, the other arguments appended, inspected unless strings.
  function format(f) {
    var args = Array.prototype.slice.call(arguments, 1);
    var out = '';
    if (typeof f === 'string') {
      out = f.replace(/%([sdifjoO%])/g, function (m, c) {
        if (c === '%') return '%';
        if (args.length === 0) return m;
        var a = args.shift();
        switch (c) {
        case 's': return typeof a === 'string' ? a : (typeof a === 'object' && a !== null ? inspect(a) : String(a));
        case 'd': case 'i': return String(c === 'i' ? parseInt(a, 10) : Number(a));
        case 'f': return String(parseFloat(a));
        case 'j': try { return JSON.stringify(a); } catch (e) { return '[Circular]'; }
        default: return inspect(a);
        }
      });
    } else if (arguments.length > 0) {
      args.unshift(f);
      out = null;
    }
    for (var i = 0; i < args.length; i++) {
      var s = typeof args[i] === 'string' ? args[i] : inspect(args[i]);
      out = out === null ? s : out + ' ' + s;
    }
    return out === null ? '' : out;
  }

  return { GameMessage: GameMessage, console: logger(), logger: logger, inspect: inspect, format: format };
})`

var prelude = goja.MustCompile("leapfrog-prelude.js", preludeSource, true)
