// The parts of a script's Node.js world simplest in JavaScript, built once
// per runtime before the script runs; it leaves no globals behind. host
// holds the Go side: log(level, text), exit(code), loadBuffer(),
// module(name) for lazily built modules, and the ids of trackers.
(function (host) {
  'use strict';
  var customInspect = Symbol.for('nodejs.util.inspect.custom');

  // GameMessage holds a received payload as the raw ArrayBuffer and makes
  // it a Buffer (sharing its memory) only when the script reads it: most
  // messages of a game are read by op code alone. The two slots are
  // non-enumerable symbols, so that Object.keys, JSON.stringify and
  // console.log show only GameLift's documented fields.
  var kPayload = Symbol('payload'), kRaw = Symbol('raw');
  var messageShape = {
    payload: {
      get: function () {
        if (this[kPayload] === undefined && this[kRaw] !== undefined) {
          this[kPayload] = Buffer.from(this[kRaw]);
        }
        return this[kPayload];
      },
      set: function (v) { this[kPayload] = v; this[kRaw] = undefined; },
      enumerable: true, configurable: true,
    },
  };
  messageShape[kPayload] = { value: undefined, writable: true };
  messageShape[kRaw] = { value: undefined, writable: true };
  function GameMessage(opCode, sender, payload, reliable, targetPlayer, targetGroup, raw) {
    this.opCode = opCode;
    this.sender = sender;
    Object.defineProperties(this, messageShape);
    this[kPayload] = payload;
    this[kRaw] = raw;
    this.reliable = reliable;
    this.targetPlayer = targetPlayer;
    this.targetGroup = targetGroup;
  }
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

  // inspect follows Node.js's util.inspect (lib/internal/util/inspect.js,
  // MIT) for what scripts print: the same layout rules (breakLength 80,
  // compact 3, arrays grouped in columns past 6 items, depth 2, 100 array
  // items, 10000 string characters), without colours or showHidden.
  var meta = [];
  for (var mi = 0; mi < 160; mi++) meta.push(mi < 32 || mi > 126 ? '\\x' + (mi < 16 ? '0' : '') + mi.toString(16).toUpperCase() : '');
  meta[8] = '\\b'; meta[9] = '\\t'; meta[10] = '\\n'; meta[12] = '\\f'; meta[13] = '\\r'; meta[39] = "\\'"; meta[92] = '\\\\';
  meta[11] = '\\x0B';
  var keyStrRegExp = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

  function strEscape(str) {
    var quote = "'";
    if (str.indexOf("'") >= 0) {
      if (str.indexOf('"') < 0) quote = '"';
      else if (str.indexOf('`') < 0 && str.indexOf('${') < 0) quote = '`';
    }
    var out = '';
    for (var i = 0; i < str.length; i++) {
      var c = str.charCodeAt(i);
      if ((c === 39 && quote === "'") || c === 92 || c < 32 || (c > 126 && c < 160)) out += meta[c];
      else if (c >= 0xd800 && c <= 0xdfff) {
        if (c <= 0xdbff && i + 1 < str.length) {
          var d = str.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { out += str[i] + str[i + 1]; i++; continue; }
        }
        out += '\\u' + c.toString(16);
      } else out += str[i];
    }
    return quote + out + quote;
  }

  function formatNumber(n) { return Object.is(n, -0) ? '-0' : String(n); }

  function formatPrimitive(ctx, v) {
    switch (typeof v) {
    case 'string':
      var trailer = '';
      if (v.length > 10000) {
        var rem = v.length - 10000;
        v = v.slice(0, 10000);
        trailer = '... ' + rem + ' more character' + (rem > 1 ? 's' : '');
      }
      if (v.length > 16 && v.length > 80 - ctx.indentationLvl - 4) {
        return v.split(/(?<=\n)/).map(strEscape).join(' +\n' + ' '.repeat(ctx.indentationLvl + 2)) + trailer;
      }
      return strEscape(v) + trailer;
    case 'number': return formatNumber(v);
    case 'bigint': return v + 'n';
    case 'symbol': return v.toString();
    default: return String(v);
    }
  }

  function constructorName(obj) {
    var o = obj;
    while (o) {
      var d = Object.getOwnPropertyDescriptor(o, 'constructor');
      if (d && typeof d.value === 'function' && d.value.name !== '' && obj instanceof d.value) return String(d.value.name);
      o = Object.getPrototypeOf(o);
    }
    return null;
  }

  function prefix(ctor, tag, fallback, size) {
    size = size || '';
    if (ctor === null) {
      return tag !== '' && fallback !== tag ? '[' + fallback + size + ': null prototype] [' + tag + '] ' : '[' + fallback + size + ': null prototype] ';
    }
    return tag !== '' && ctor !== tag ? ctor + size + ' [' + tag + '] ' : ctor + size + ' ';
  }

  function keysOf(v) {
    var keys = Object.keys(v);
    var syms = Object.getOwnPropertySymbols(v);
    for (var i = 0; i < syms.length; i++) if (Object.prototype.propertyIsEnumerable.call(v, syms[i])) keys.push(syms[i]);
    return keys;
  }

  // isBuffer does not load Buffer: a runtime that never used it has none.
  function isBuffer(v) {
    var d = Object.getOwnPropertyDescriptor(globalThis, 'Buffer');
    return d !== undefined && d.get === undefined && v instanceof d.value;
  }

  function formatValue(ctx, v, depth) {
    if (typeof v !== 'object' && typeof v !== 'function') return formatPrimitive(ctx, v);
    if (v === null) return 'null';
    var custom = v[customInspect];
    if (typeof custom === 'function' && custom !== inspect && !(v.constructor && v.constructor.prototype === v)) {
      var ret = custom.call(v, ctx.depth - depth, { depth: ctx.depth - depth }, inspect);
      if (ret !== v) {
        if (typeof ret !== 'string') return formatValue(ctx, ret, depth);
        return ret.replace(/\n/g, '\n' + ' '.repeat(ctx.indentationLvl));
      }
    }
    if (ctx.seen.indexOf(v) >= 0) {
      var idx = ctx.circular.get(v);
      if (idx === undefined) { idx = ctx.circular.size + 1; ctx.circular.set(v, idx); }
      return '[Circular *' + idx + ']';
    }
    return formatRaw(ctx, v, depth);
  }

  function formatRaw(ctx, value, depth) {
    var ctor = constructorName(value);
    var tag = value[Symbol.toStringTag];
    if (typeof tag !== 'string' || (tag !== '' && Object.prototype.propertyIsEnumerable.call(value, Symbol.toStringTag))) tag = '';
    var base = '', braces, keys, formatter = function () { return []; }, arrayLike = false;
    if (Array.isArray(value)) {
      keys = keysOf(value).filter(function (k) { return typeof k !== 'string' || !/^(0|[1-9][0-9]*)$/.test(k); });
      var p = ctor !== 'Array' || tag !== '' ? prefix(ctor, tag, 'Array', '(' + value.length + ')') : '';
      braces = [p + '[', ']'];
      if (value.length === 0 && keys.length === 0) return braces[0] + ']';
      arrayLike = true;
      formatter = formatArray;
    } else if (value instanceof Set) {
      keys = keysOf(value);
      var sp = prefix(ctor, tag, 'Set', '(' + value.size + ')');
      if (value.size === 0 && keys.length === 0) return sp + '{}';
      braces = [sp + '{', '}'];
      formatter = formatSet;
    } else if (value instanceof Map) {
      keys = keysOf(value);
      var mp = prefix(ctor, tag, 'Map', '(' + value.size + ')');
      if (value.size === 0 && keys.length === 0) return mp + '{}';
      braces = [mp + '{', '}'];
      formatter = formatMap;
    } else if (isBuffer(value)) {
      var hex = [], n = Math.min(50, value.length);
      for (var bi = 0; bi < n; bi++) hex.push((value[bi] < 16 ? '0' : '') + value[bi].toString(16));
      var more = value.length - n;
      return '<Buffer' + (hex.length ? ' ' + hex.join(' ') : '') + (more > 0 ? ' ... ' + more + ' more byte' + (more > 1 ? 's' : '') : '') + '>';
    } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      keys = keysOf(value).filter(function (k) { return typeof k !== 'string' || !/^(0|[1-9][0-9]*)$/.test(k); });
      braces = [prefix(ctor, tag, '', '(' + value.length + ')') + '[', ']'];
      if (value.length === 0 && keys.length === 0) return braces[0] + ']';
      arrayLike = true;
      formatter = formatTypedArray;
    } else {
      keys = keysOf(value);
      braces = ['{', '}'];
      if (typeof value === 'function') {
        base = functionBase(value, ctor, tag);
        if (keys.length === 0) return base;
      } else if (ctor === 'Object') {
        if (Object.prototype.toString.call(value) === '[object Arguments]') braces[0] = '[Arguments] {';
        else if (tag !== '') braces[0] = prefix(ctor, tag, 'Object') + '{';
        if (keys.length === 0) return braces[0] + '}';
      } else if (value instanceof RegExp) {
        base = RegExp.prototype.toString.call(value);
        if (keys.length === 0 || depth > ctx.depth) return base;
      } else if (value instanceof Date) {
        base = isNaN(value.getTime()) ? Date.prototype.toString.call(value) : Date.prototype.toISOString.call(value);
        if (keys.length === 0) return base;
      } else if (value instanceof Error) {
        base = formatError(value, ctx, keys);
        if (keys.length === 0) return base;
      } else if (value instanceof ArrayBuffer) {
        braces[0] = prefix(ctor, tag, 'ArrayBuffer') + '{';
        keys.unshift('byteLength');
        formatter = formatArrayBuffer;
      } else if (value instanceof Promise) {
        braces[0] = prefix(ctor, tag, 'Promise') + '{';
        formatter = function () { return [host.promiseState(value, function (x) { return formatValue(ctx, x, depth + 1); })]; };
      } else if (value instanceof WeakMap || value instanceof WeakSet) {
        braces[0] = prefix(ctor, tag, value instanceof WeakMap ? 'WeakMap' : 'WeakSet') + '{';
        formatter = function () { return ['<items unknown>']; };
      } else if (value instanceof Number || value instanceof String || value instanceof Boolean) {
        var prim = value.valueOf();
        var type = typeof prim === 'number' ? 'Number' : typeof prim === 'string' ? 'String' : 'Boolean';
        base = '[' + type + (ctor !== type ? ctor === null ? ' (null prototype)' : ' (' + ctor + ')' : '') + ': ' + formatPrimitive({ indentationLvl: 0 }, prim) + ']';
        if (type === 'String') keys = keys.filter(function (k) { return typeof k !== 'string' || !/^(0|[1-9][0-9]*)$/.test(k); });
        if (keys.length === 0) return base;
      } else {
        var style = prefix(ctor, tag, ctor === null ? 'Object' : '');
        if (keys.length === 0) return style + '{}';
        braces[0] = style + '{';
      }
    }
    if (depth > ctx.depth) {
      var name = prefix(ctor, tag, ctor === null ? 'Object' : '').slice(0, -1);
      return ctor !== null ? '[' + name + ']' : name;
    }
    depth++;
    ctx.seen.push(value);
    ctx.currentDepth = depth;
    var output = formatter(ctx, value, depth);
    for (var i = 0; i < keys.length; i++) output.push(formatProperty(ctx, value, depth, keys[i], arrayLike));
    var ref = ctx.circular.get(value);
    if (ref !== undefined) base = base === '' ? '<ref *' + ref + '>' : '<ref *' + ref + '> ' + base;
    ctx.seen.pop();
    return reduceToSingleString(ctx, output, base, braces, arrayLike, depth, value);
  }

  function functionBase(fn, ctor, tag) {
    var src = Function.prototype.toString.call(fn);
    if (src.slice(0, 5) === 'class' && src[src.length - 1] === '}') {
      var b = '[class ' + (fn.name || '(anonymous)');
      var sup = Object.getPrototypeOf(fn);
      if (sup && sup.name) b += ' extends ' + sup.name;
      return b + ']';
    }
    var type = 'Function';
    var fnCtor = Object.getPrototypeOf(fn);
    var kind = fnCtor && fnCtor.constructor && fnCtor.constructor.name;
    if (kind === 'GeneratorFunction') type = 'GeneratorFunction';
    else if (kind === 'AsyncFunction') type = 'AsyncFunction';
    else if (kind === 'AsyncGeneratorFunction') type = 'AsyncGeneratorFunction';
    var base = '[' + type + (ctor === null ? ' (null prototype)' : '') + (fn.name === '' ? ' (anonymous)' : ': ' + fn.name) + ']';
    if (ctor !== type && ctor !== null) base += ' ' + ctor;
    if (tag !== '' && ctor !== tag) base += ' [' + tag + ']';
    return base;
  }

  // formatError prints the stack as the runtime keeps it: its first line
  // is Node's ("Name: message"), the frames are goja's.
  function formatError(err, ctx, keys) {
    var name = err.name != null ? String(err.name) : 'Error';
    var stack = err.stack ? String(err.stack) : Error.prototype.toString.call(err);
    ['name', 'message', 'stack'].forEach(function (k) {
      var i = keys.indexOf(k);
      if (i >= 0 && (k === 'stack' || stack.indexOf(String(err[k])) >= 0)) keys.splice(i, 1);
    });
    if ('cause' in err && keys.indexOf('cause') < 0) keys.push('cause');
    stack = stack.replace(/\n\t/g, '\n    ');
    if (stack.indexOf('\n    at') === -1) stack = '[' + stack + ']';
    if (ctx.indentationLvl !== 0) stack = stack.replace(/\n/g, '\n' + ' '.repeat(ctx.indentationLvl));
    void name;
    return stack;
  }

  function formatArray(ctx, value, depth) {
    var len = Math.min(100, value.length), out = [];
    var holes = 0;
    for (var i = 0; i < len; i++) {
      if (!Object.prototype.hasOwnProperty.call(value, i)) { holes++; continue; }
      if (holes) { out.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>'); holes = 0; }
      out.push(formatProperty(ctx, value, depth, i, true));
    }
    if (holes) out.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
    if (value.length > len) out.push(remaining(value.length - len));
    return out;
  }
  function remaining(n) { return '... ' + n + ' more item' + (n > 1 ? 's' : ''); }
  function formatTypedArray(ctx, value) {
    var len = Math.min(100, value.length), out = [];
    for (var i = 0; i < len; i++) out.push(typeof value[i] === 'bigint' ? value[i] + 'n' : formatNumber(value[i]));
    if (value.length > len) out.push(remaining(value.length - len));
    return out;
  }
  function formatArrayBuffer(ctx, value) {
    var u = new Uint8Array(value), hex = [];
    for (var i = 0; i < Math.min(100, u.length); i++) hex.push((u[i] < 16 ? '0' : '') + u[i].toString(16));
    var more = u.length - 100;
    return ['[Uint8Contents]: <' + hex.join(' ') + (more > 0 ? ' ... ' + more + ' more byte' + (more > 1 ? 's' : '') : '') + '>'];
  }
  function formatSet(ctx, value, depth) {
    var out = [];
    ctx.indentationLvl += 2;
    value.forEach(function (v) { if (out.length < 100) out.push(formatValue(ctx, v, depth)); });
    if (value.size > 100) out.push(remaining(value.size - 100));
    ctx.indentationLvl -= 2;
    return out;
  }
  function formatMap(ctx, value, depth) {
    var out = [];
    ctx.indentationLvl += 2;
    value.forEach(function (v, k) { if (out.length < 100) out.push(formatValue(ctx, k, depth) + ' => ' + formatValue(ctx, v, depth)); });
    if (value.size > 100) out.push(remaining(value.size - 100));
    ctx.indentationLvl -= 2;
    return out;
  }

  function formatProperty(ctx, value, depth, key, arrayLike) {
    var desc = Object.getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
    var str;
    if (desc.value !== undefined) {
      ctx.indentationLvl += 2;
      str = formatValue(ctx, desc.value, depth);
      ctx.indentationLvl -= 2;
    } else if (desc.get !== undefined) {
      str = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
    } else if (desc.set !== undefined) {
      str = '[Setter]';
    } else {
      str = 'undefined';
    }
    if (arrayLike && typeof key === 'number') return str;
    var name;
    if (typeof key === 'symbol') name = '[' + key.toString() + ']';
    else if (key === '__proto__') name = "['__proto__']";
    else if (desc.enumerable === false) name = '[' + key + ']';
    else if (keyStrRegExp.test(key)) name = key;
    else name = strEscape(key);
    return name + ': ' + str;
  }

  function groupArrayElements(ctx, output, value) {
    var totalLength = 0, maxLength = 0, i = 0;
    var outputLength = output.length;
    if (value && value.length > 100 && outputLength === 101) outputLength--;
    var separatorSpace = 2, dataLen = new Array(outputLength);
    for (; i < outputLength; i++) {
      var len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    var actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < 80 && (totalLength / actualMax > 5 || maxLength <= 6)) {
      var averageBias = Math.sqrt(actualMax - totalLength / output.length);
      var biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      var columns = Math.min(Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((80 - ctx.indentationLvl) / actualMax), 3 * 4, 15);
      if (columns <= 1) return output;
      var tmp = [], maxLineLength = [];
      for (i = 0; i < columns; i++) {
        var lineMaxLength = 0;
        for (var j = i; j < output.length; j += columns) if (dataLen[j] > lineMaxLength) lineMaxLength = dataLen[j];
        maxLineLength.push(lineMaxLength + separatorSpace);
      }
      var padStart = true;
      if (value !== undefined) {
        for (i = 0; i < output.length; i++) {
          if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') { padStart = false; break; }
        }
      }
      for (i = 0; i < outputLength; i += columns) {
        var max = Math.min(i + columns, outputLength), str = '', k = i;
        for (; k < max - 1; k++) {
          var padding = maxLineLength[k - i] + output[k].length - dataLen[k];
          str += padStart ? (output[k] + ', ').padStart(padding, ' ') : (output[k] + ', ').padEnd(padding, ' ');
        }
        if (padStart) {
          str += output[k].padStart(maxLineLength[k - i] + output[k].length - dataLen[k] - separatorSpace, ' ');
        } else {
          str += output[k];
        }
        tmp.push(str);
      }
      if (outputLength < output.length) tmp.push(output[outputLength]);
      output = tmp;
    }
    return output;
  }

  function isBelowBreakLength(ctx, output, start, base) {
    var total = output.length + start;
    if (total + output.length > 80) return false;
    for (var i = 0; i < output.length; i++) {
      total += output[i].length;
      if (total > 80) return false;
    }
    return base === '' || base.indexOf('\n') < 0;
  }

  function reduceToSingleString(ctx, output, base, braces, arrayLike, depth, value) {
    var entries = output.length;
    if (arrayLike && entries > 6) output = groupArrayElements(ctx, output, value);
    if (ctx.currentDepth - depth < 3 && entries === output.length) {
      var start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      if (isBelowBreakLength(ctx, output, start, base)) {
        var joined = output.join(', ');
        if (joined.indexOf('\n') < 0) return (base ? base + ' ' : '') + braces[0] + ' ' + joined + ' ' + braces[1];
      }
    }
    var ind = '\n' + ' '.repeat(ctx.indentationLvl);
    return (base ? base + ' ' : '') + braces[0] + ind + '  ' + output.join(',' + ind + '  ') + ind + braces[1];
  }

  function inspect(value, opts) {
    var ctx = { depth: 2, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0 };
    if (opts !== null && typeof opts === 'object') {
      if (opts.depth === null || opts.depth === Infinity) ctx.depth = Infinity;
      else if (typeof opts.depth === 'number') ctx.depth = opts.depth;
    }
    return formatValue(ctx, value, 0);
  }
  inspect.custom = customInspect;

  // format follows Node's util.format (formatWithOptionsInternal).
  function format() {
    var args = arguments, first = args[0], a = 0, str = '', join = '';
    if (typeof first === 'string') {
      if (args.length === 1) return first;
      var lastPos = 0, tempStr;
      for (var i = 0; i < first.length - 1; i++) {
        if (first.charCodeAt(i) !== 37) continue;
        var next = first.charCodeAt(++i);
        if (a + 1 !== args.length) {
          var arg;
          switch (next) {
          case 115: // s
            arg = args[++a];
            if (typeof arg === 'number') tempStr = formatNumber(arg);
            else if (typeof arg === 'bigint') tempStr = arg + 'n';
            else if (typeof arg !== 'object' || arg === null || !hasBuiltInToString(arg)) tempStr = String(arg);
            else tempStr = inspect(arg, { depth: 0 });
            break;
          case 106: // j
            try { tempStr = JSON.stringify(args[++a]); } catch (e) { tempStr = '[Circular]'; }
            break;
          case 100: // d
            arg = args[++a];
            tempStr = typeof arg === 'bigint' ? arg + 'n' : typeof arg === 'symbol' ? 'NaN' : formatNumber(Number(arg));
            break;
          case 79: tempStr = inspect(args[++a]); break; // O
          case 111: tempStr = inspect(args[++a], { depth: 4 }); break; // o
          case 105: // i
            arg = args[++a];
            tempStr = typeof arg === 'bigint' ? arg + 'n' : typeof arg === 'symbol' ? 'NaN' : formatNumber(parseInt(arg));
            break;
          case 102: // f
            arg = args[++a];
            tempStr = typeof arg === 'symbol' ? 'NaN' : formatNumber(parseFloat(arg));
            break;
          case 99: a++; tempStr = ''; break; // c
          case 37: str += first.slice(lastPos, i); lastPos = i + 1; continue;
          default: continue;
          }
          if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
          str += tempStr;
          lastPos = i + 1;
        } else if (next === 37) {
          str += first.slice(lastPos, i);
          lastPos = i + 1;
        }
      }
      if (lastPos !== 0) {
        a++;
        join = ' ';
        if (lastPos < first.length) str += first.slice(lastPos);
      }
    }
    while (a < args.length) {
      var v = args[a];
      str += join + (typeof v !== 'string' ? inspect(v) : v);
      join = ' ';
      a++;
    }
    return str;
  }
  function hasBuiltInToString(v) {
    var o = v;
    while (o !== null && o !== Object.prototype) {
      if (Object.prototype.hasOwnProperty.call(o, 'toString')) {
        return o === Array.prototype || o === Date.prototype || o === Error.prototype || o === RegExp.prototype ||
          o === Function.prototype || o === Number.prototype || o === Boolean.prototype || o === String.prototype ||
          o === Symbol.prototype || o === BigInt.prototype;
      }
      o = Object.getPrototypeOf(o);
    }
    return true;
  }

  // Buffer's Node.js surface beyond goja_nodejs's: applied once, when a
  // script first reaches Buffer.
  function patchBuffer(B) {
    Object.defineProperty(B, 'name', { value: 'Buffer' });
    // Node's static methods are plain functions, so `new Buffer.from(x)`
    // (a common slip) returns the buffer: wrap the native ones.
    ['from', 'alloc', 'concat'].forEach(function (name) {
      var f = B[name];
      B[name] = { [name]: function () { return f.apply(B, arguments); } }[name];
    });
    B.allocUnsafe = function allocUnsafe(n) { return B.alloc(n); };
    B.allocUnsafeSlow = function allocUnsafeSlow(n) { return B.alloc(n); };
    B.isBuffer = function isBuffer(b) { return b instanceof B; };
    B.isEncoding = function isEncoding(e) {
      return typeof e === 'string' && /^(utf-?8|hex|base64|base64url|ascii|latin1|binary|ucs-?2|utf-?16le)$/i.test(e);
    };
    B.byteLength = function byteLength(s, enc) {
      if (typeof s !== 'string') return s.byteLength;
      return B.from(s, enc).length;
    };
    B.compare = function compare(a, b) { return a.compare(b); };
    var proto = B.prototype;
    proto.toJSON = function toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; };
    var view = function (buf, start, end) {
      var u = Uint8Array.prototype.subarray.call(buf, start, end);
      return B.from(u.buffer, u.byteOffset, u.length);
    };
    proto.subarray = function subarray(start, end) { return view(this, start, end); };
    proto.slice = function slice(start, end) { return view(this, start, end); };
    proto.compare = function compare(b) {
      var n = Math.min(this.length, b.length);
      for (var i = 0; i < n; i++) if (this[i] !== b[i]) return this[i] < b[i] ? -1 : 1;
      return this.length < b.length ? -1 : this.length > b.length ? 1 : 0;
    };
    proto.copy = function copy(target, targetStart, sourceStart, sourceEnd) {
      targetStart = targetStart || 0; sourceStart = sourceStart || 0;
      if (sourceEnd === undefined) sourceEnd = this.length;
      var n = Math.max(0, Math.min(sourceEnd - sourceStart, target.length - targetStart));
      Uint8Array.prototype.set.call(target, Uint8Array.prototype.subarray.call(this, sourceStart, sourceStart + n), targetStart);
      return n;
    };
    var baseIncludes = proto.includes, baseIndexOf = proto.indexOf;
    proto.indexOf = function indexOf(v, from, enc) {
      if (typeof v === 'number') return baseIndexOf.call(this, v & 255, from);
      var needle = typeof v === 'string' ? B.from(v, enc) : v;
      from = from || 0;
      outer: for (var i = from < 0 ? Math.max(0, this.length + from) : from; i <= this.length - needle.length; i++) {
        for (var j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    };
    proto.includes = function includes(v, from, enc) { return typeof v === 'number' ? baseIncludes.call(this, v & 255, from) : this.indexOf(v, from, enc) !== -1; };
    return B;
  }

  // The process object: what a game script reaches for. Listeners go
  // through an EventEmitter built on first use.
  var ticks = [], ticking = false;
  function runTicks() {
    while (ticks.length > 0) {
      var t = ticks.shift();
      t.fn.apply(undefined, t.args);
    }
    ticking = false;
  }
  function nextTick(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function. Received ' + inspect(fn));
    ticks.push({ fn: fn, args: Array.prototype.slice.call(arguments, 1) });
    if (!ticking) {
      ticking = true;
      Promise.resolve().then(runTicks);
    }
  }
  function process(env, argv, exit, hrtime, uptime, memoryUsage) {
    var p = {
      title: 'node', version: host.version, versions: { node: host.version.slice(1) },
      arch: 'x64', platform: 'linux', release: { name: 'node', lts: 'Krypton' }, pid: 1, ppid: 0, exitCode: undefined,
      env: env, argv: argv, execArgv: [], exit: exit, hrtime: hrtime, uptime: uptime, memoryUsage: memoryUsage,
      nextTick: nextTick, cwd: function cwd() { return host.root; },
      emitWarning: function emitWarning(w) { host.log('warn', '(node) ' + (w instanceof Error ? w.name + ': ' + w.message : 'Warning: ' + w)); },
    };
    ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener', 'off', 'removeListener',
      'removeAllListeners', 'emit', 'listeners', 'listenerCount', 'eventNames', 'setMaxListeners', 'getMaxListeners'].forEach(function (m) {
      p[m] = function () {
        var E = host.module('events');
        if (!(p instanceof E)) {
          Object.setPrototypeOf(p, E.prototype);
          E.call(p);
        }
        return E.prototype[m].apply(p, arguments);
      };
    });
    return p;
  }
  // emitProcess calls the script's process listeners for name; false when
  // it has none.
  function emitProcess(p, name, a, b) {
    if (typeof p.listenerCount !== 'function' || Object.getPrototypeOf(p) === Object.prototype) return false;
    if (p.listenerCount(name) === 0) return false;
    p.emit(name, a, b);
    return true;
  }

  function queueMicrotask(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function. Received ' + inspect(fn));
    Promise.resolve().then(function () { fn(); });
  }

  // structuredClone copies what games clone (plain data, arrays, Map,
  // Set, Date, RegExp, typed arrays, errors), keeping shared and circular
  // references; functions and symbols are a DataCloneError, as in Node.
  function structuredClone(value) {
    var seen = new Map();
    function clone(v) {
      if (typeof v === 'function' || typeof v === 'symbol') {
        var e = new Error((typeof v === 'function' ? String(v) : v.toString()) + ' could not be cloned.');
        e.name = 'DataCloneError';
        throw e;
      }
      if (typeof v !== 'object' || v === null) return v;
      if (seen.has(v)) return seen.get(v);
      var out;
      if (Array.isArray(v)) { out = new Array(v.length); seen.set(v, out); for (var i = 0; i < v.length; i++) if (i in v) out[i] = clone(v[i]); return out; }
      if (v instanceof Date) return new Date(v.getTime());
      if (v instanceof RegExp) return new RegExp(v.source, v.flags);
      if (v instanceof Map) { out = new Map(); seen.set(v, out); v.forEach(function (x, k) { out.set(clone(k), clone(x)); }); return out; }
      if (v instanceof Set) { out = new Set(); seen.set(v, out); v.forEach(function (x) { out.add(clone(x)); }); return out; }
      if (v instanceof ArrayBuffer) return v.slice(0);
      if (ArrayBuffer.isView(v)) {
        var C = v instanceof DataView ? DataView : Object.getPrototypeOf(Uint8Array.prototype).constructor;
        void C;
        var ctor = isBuffer(v) ? Uint8Array : v.constructor;
        return new ctor(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
      }
      if (v instanceof Error) { out = new (globalThis[v.name] || Error)(v.message); if (v.stack) out.stack = v.stack; return out; }
      out = {};
      seen.set(v, out);
      Object.keys(v).forEach(function (k) { out[k] = clone(v[k]); });
      return out;
    }
    return clone(value);
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

  return {
    GameMessage: GameMessage, console: logger(), logger: logger, inspect: inspect, format: format,
    patchBuffer: patchBuffer, process: process, emitProcess: emitProcess, runTicks: runTicks,
    queueMicrotask: queueMicrotask, structuredClone: structuredClone,
  };
})
