// util.inspect and util.format: values printed the way Node.js prints
// them (no colours), for console, util, assert and the other modules.
var customSymbol = Symbol.for('nodejs.util.inspect.custom');
var toTag = Object.prototype.toString;
var hasOwn = Object.prototype.hasOwnProperty;
var isEnumerable = Object.prototype.propertyIsEnumerable;
var fnSource = Function.prototype.toString;

var defaults = {
  depth: 2, breakLength: 80, compact: 3, maxArrayLength: 100, maxStringLength: 10000,
  customInspect: true, showHidden: false, sorted: false, getters: false, colors: false, showProxy: false,
};

// A print job: the options, plus what the layout needs to remember
// while it walks the value.
function Job(opts) {
  for (var k in defaults) this[k] = defaults[k];
  if (opts !== null && typeof opts === 'object') {
    for (var o in opts) if (hasOwn.call(defaults, o) && opts[o] !== undefined) this[o] = opts[o];
  }
  if (this.depth === Infinity) this.depth = null;
  if (this.maxArrayLength === null) this.maxArrayLength = Infinity;
  if (this.maxStringLength === null) this.maxStringLength = Infinity;
  this.indent = 0;
  this.stack = [];
  this.refs = new Map();
  this.lastLevel = 0;
}

function inspect(value, opts) {
  return show(new Job(opts), value, 0);
}

function show(job, v, level) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'string': return showString(job, v);
    case 'number': return showNumber(v);
    case 'bigint': return v + 'n';
    case 'boolean': return String(v);
    case 'symbol': return v.toString();
  }
  if (job.customInspect) {
    var custom = v[customSymbol];
    if (typeof custom === 'function' && custom !== inspect) {
      var left = job.depth === null ? null : job.depth - level;
      var sub = { stylize: function (text) { return String(text); } };
      for (var k in defaults) sub[k] = job[k];
      var out = custom.call(v, left, sub, inspect);
      if (out !== v) {
        if (typeof out !== 'string') return show(job, out, level);
        return out.split('\n').join('\n' + spaces(job.indent));
      }
    }
  }
  if (job.stack.indexOf(v) >= 0) {
    var id = job.refs.get(v);
    if (id === undefined) {
      id = job.refs.size + 1;
      job.refs.set(v, id);
    }
    return '[Circular *' + id + ']';
  }
  var text = showObject(job, v, level);
  var ref = job.refs.get(v);
  return ref === undefined ? text : '<ref *' + ref + '> ' + text;
}

function spaces(n) { return n > 0 ? ' '.repeat(n) : ''; }

function showNumber(n) { return n === 0 && 1 / n < 0 ? '-0' : String(n); }

// Characters a quoted string shows escaped.
var named = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 92: '\\\\' };
function escapeChar(c, quote) {
  var code = c.charCodeAt(0);
  if (c === quote) return '\\' + c;
  if (named[code]) return named[code];
  if (code < 0x20 || code === 0x7f) return '\\x' + (code < 16 ? '0' : '') + code.toString(16).toUpperCase();
  if (c.length === 1 && code >= 0xd800 && code <= 0xdfff) return '\\u' + code.toString(16);
  return c;
}
var mustEscape = /[\x00-\x1f\x7f\\'"`]|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;
// quote prints s in single quotes, or in double quotes or backticks when
// that spares escaping a quote.
function quote(s) {
  var q = "'";
  if (s.indexOf("'") >= 0) {
    if (s.indexOf('"') < 0) q = '"';
    else if (s.indexOf('`') < 0 && s.indexOf('${') < 0) q = '`';
  }
  if (!mustEscape.test(s)) return q + s + q;
  var out = '';
  for (var i = 0; i < s.length; i++) {
    var c = s[i], code = s.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      var next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += c + s[i + 1];
        i++;
        continue;
      }
    }
    out += c === '"' || c === '`' ? (c === q ? '\\' + c : c) : escapeChar(c, q);
  }
  return q + out + q;
}

function showString(job, s) {
  var extra = '';
  if (s.length > job.maxStringLength) {
    var over = s.length - job.maxStringLength;
    s = s.slice(0, job.maxStringLength);
    extra = '... ' + over + ' more character' + (over > 1 ? 's' : '');
  }
  return quote(s) + extra;
}

function showKey(key) {
  if (typeof key === 'symbol') return '[' + key.toString() + ']';
  return /^[a-zA-Z_][a-zA-Z_0-9]*$/.test(key) ? key : quote(key);
}

// ctorName is the name of the nearest constructor on v's prototype
// chain; null for an object without a prototype.
function ctorName(v) {
  for (var p = v; p !== null; p = Object.getPrototypeOf(p)) {
    var d = Object.getOwnPropertyDescriptor(p, 'constructor');
    if (d !== undefined && typeof d.value === 'function' && typeof d.value.name === 'string' && d.value.name !== '') {
      return d.value.name;
    }
  }
  return null;
}

// label is what precedes the braces of a value of a known kind: the
// constructor when it is not the kind's own, a size, a differing tag.
function label(name, tag, kind, size) {
  if (name === null) {
    return '[' + kind + size + ': null prototype]' + (tag !== '' && tag !== kind ? ' [' + tag + ']' : '') + ' ';
  }
  return name + size + (tag !== '' && tag !== name ? ' [' + tag + ']' : '') + ' ';
}

function ownKeys(job, v, skipIndices) {
  var names = job.showHidden ? Object.getOwnPropertyNames(v) : Object.keys(v);
  if (skipIndices) names = names.filter(function (k) { return !/^(0|[1-9][0-9]*)$/.test(k) || Number(k) >= 4294967295; });
  var syms = Object.getOwnPropertySymbols(v);
  for (var i = 0; i < syms.length; i++) {
    if (job.showHidden || isEnumerable.call(v, syms[i])) names.push(syms[i]);
  }
  return names;
}

// kindOf sorts v by what it is, not by what its tag claims: an object
// whose toStringTag says 'Map' is still printed as an object.
function kindOf(v) {
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'map';
  if (v instanceof Set) return 'set';
  if (ArrayBuffer.isView(v)) return v instanceof DataView ? 'dataview' : 'typed';
  var tag = toTag.call(v).slice(8, -1);
  switch (tag) {
    case 'Map': case 'Set': case 'Array': return 'object';
  }
  return tag;
}

function showObject(job, v, level) {
  var name = ctorName(v);
  var tagValue = v[Symbol.toStringTag];
  // A tag the object lists among its own properties is shown there.
  var tag = typeof tagValue === 'string' && !isEnumerable.call(v, Symbol.toStringTag) ? tagValue : '';
  var kind = kindOf(v);
  var keys, braces, base = '', items, arrayish = false;

  if (kind === 'array') {
    keys = ownKeys(job, v, true);
    var pre = name !== 'Array' || tag !== '' ? label(name, tag, 'Array', '(' + v.length + ')') : '';
    braces = [pre + '[', ']'];
    if (v.length === 0 && keys.length === 0) return braces[0] + ']';
    arrayish = true;
    items = function () { return arrayItems(job, v, level); };
  } else if (kind === 'set' || kind === 'map') {
    keys = ownKeys(job, v, false);
    var K = kind === 'set' ? 'Set' : 'Map';
    braces = [label(name, tag, K, '(' + v.size + ')') + '{', '}'];
    if (v.size === 0 && keys.length === 0) return braces[0] + '}';
    items = function () { return kind === 'set' ? setItems(job, v, level) : mapItems(job, v, level); };
  } else if (kind === 'typed') {
    if (isBuffer(v)) return showBuffer(v);
    keys = ownKeys(job, v, true);
    var T = toTag.call(v).slice(8, -1);
    braces = [label(name, tag, T, '(' + v.length + ')') + '[', ']'];
    if (v.length === 0 && keys.length === 0) return braces[0] + ']';
    arrayish = true;
    items = function () { return typedItems(job, v); };
  } else {
    keys = ownKeys(job, v, kind === 'String');
    braces = ['{', '}'];
    var plain = name === 'Object' && tag === '' ? '' : label(name, tag, 'Object', '');
    if (kind === 'Arguments') {
      keys = ownKeys(job, v, true);
      braces = ['[Arguments] [', ']'];
      if (v.length === 0 && keys.length === 0) return braces[0] + ']';
      arrayish = true;
      items = function () { return arrayItems(job, v, level); };
    } else if (typeof v === 'function') {
      base = showFunction(v, name, tag);
      keys = keys.filter(function (k) { return k !== 'prototype' || job.showHidden; });
      if (keys.length === 0) return base;
    } else if (kind === 'RegExp') {
      base = RegExp.prototype.toString.call(v);
      if (name !== 'RegExp') base = label(name, tag, 'RegExp', '') + base;
      keys = keys.filter(function (k) { return k !== 'lastIndex'; });
      if (keys.length === 0) return base;
    } else if (kind === 'Date') {
      base = isNaN(v.getTime()) ? 'Invalid Date' : Date.prototype.toISOString.call(v);
      if (name !== 'Date') base = label(name, tag, 'Date', '') + base;
      if (keys.length === 0) return base;
    } else if (kind === 'Error' || v instanceof Error) {
      base = showError(job, v, name, keys);
      // What the stack already says is not repeated as a property.
      keys = keys.filter(function (k) {
        if (k === 'stack') return typeof v.stack !== 'string';
        return !((k === 'name' || k === 'message') && base.indexOf(String(v[k])) >= 0);
      });
      if (keys.length === 0) return base;
    } else if (kind === 'Number' || kind === 'String' || kind === 'Boolean' || kind === 'Symbol' || kind === 'BigInt') {
      var prim = kind === 'Number' ? showNumber(Number.prototype.valueOf.call(v))
        : kind === 'String' ? quote(String.prototype.valueOf.call(v))
        : kind === 'Boolean' ? String(Boolean.prototype.valueOf.call(v))
        : kind === 'Symbol' ? Symbol.prototype.toString.call(v) : BigInt.prototype.valueOf.call(v) + 'n';
      base = '[' + kind + (name !== kind && name !== null ? ' (' + name + ')' : '') + ': ' + prim + ']';
      if (keys.length === 0) return base;
    } else if (kind === 'Promise') {
      braces = [(name === 'Promise' && tag === 'Promise' ? 'Promise ' : label(name, tag, 'Promise', '')) + '{', '}'];
      items = function () {
        return [internals.promiseState(v, function (r) {
          job.indent += 2;
          var s = show(job, r, level + 1);
          job.indent -= 2;
          return s;
        })];
      };
    } else if (kind === 'WeakMap' || kind === 'WeakSet') {
      braces = [label(name, tag === kind ? '' : tag, kind, '') + '{', '}'];
      items = function () { return ['<items unknown>']; };
    } else if (kind === 'ArrayBuffer' || kind === 'SharedArrayBuffer') {
      braces = [label(name, tag === kind ? '' : tag, kind, '') + '{', '}'];
      items = function () {
        return ['[Uint8Contents]: <' + hexBytes(new Uint8Array(v)) + '>', 'byteLength: ' + show(job, v.byteLength, level + 1)];
      };
    } else if (kind === 'dataview') {
      braces = [label(name, tag === 'DataView' ? '' : tag, 'DataView', '') + '{', '}'];
      items = function () {
        job.indent += 2;
        var b = show(job, v.buffer, level + 1);
        job.indent -= 2;
        return ['byteLength: ' + v.byteLength, 'byteOffset: ' + v.byteOffset, 'buffer: ' + b];
      };
    } else if (name === null) {
      braces = ['[Object: null prototype] {', '}'];
      if (tag !== '') braces[0] = '[Object: null prototype] [' + tag + '] {';
      if (keys.length === 0) return braces[0] + '}';
    } else {
      if (plain !== '') braces[0] = plain + '{';
      if (keys.length === 0) return braces[0] + '}';
    }
  }

  if (job.depth !== null && level > job.depth) {
    if (kind === 'array') return '[Array]';
    return '[' + (name === null ? 'Object: null prototype' : name) + ']';
  }

  job.lastLevel = level;
  job.stack.push(v);
  var out = items ? items() : [];
  var props = [];
  for (var i = 0; i < keys.length; i++) props.push(property(job, v, keys[i], level, arrayish));
  if (job.sorted) props.sort(typeof job.sorted === 'function' ? job.sorted : undefined);
  out = out.concat(props);
  job.stack.pop();
  return layout(job, out, base, braces, arrayish, level, arrayish ? v : undefined);
}

function showFunction(fn, name, tag) {
  var src = '';
  try { src = fnSource.call(fn); } catch (e) { src = ''; }
  var fname = typeof fn.name === 'string' ? fn.name : '';
  if (/^class\b/.test(src)) {
    var s = '[class ' + (fname || '(anonymous)');
    var parent = Object.getPrototypeOf(fn);
    if (parent !== null && parent !== Function.prototype && typeof parent === 'function' && parent.name) s += ' extends ' + parent.name;
    return s + ']';
  }
  var type = toTag.call(fn).slice(8, -1);
  if (type === 'Object' || type === '') type = 'Function';
  var s2 = '[' + type;
  if (name === null) s2 += ' (null prototype)';
  s2 += fname === '' ? ' (anonymous)' : ': ' + fname;
  s2 += ']';
  if (name !== null && name !== type && name !== 'Function') s2 += ' ' + name;
  if (tag !== '' && tag !== name && tag !== type) s2 += ' [' + tag + ']';
  return s2;
}

function showError(job, err, name, keys) {
  var stack = err.stack;
  var text;
  if (typeof stack === 'string' && stack !== '') {
    // A stack without frames is shown in brackets, like a message alone.
    text = /\n\s+at /.test(stack) ? stack : '[' + stack + ']';
  } else {
    var plain;
    try { plain = Error.prototype.toString.call(err); } catch (e) { plain = 'Error'; }
    text = '[' + plain + ']';
  }
  // A subclass that kept Error's name shows both, as Node does.
  if (name !== null && name !== 'Error' && typeof err.name === 'string') {
    var first = text.split('\n')[0];
    if (first.indexOf(name) < 0 && text[0] !== '[') {
      var at = text.indexOf(err.name);
      if (at === 0) text = name + ' [' + err.name + ']' + text.slice(err.name.length);
    }
  }
  if (job.indent > 0) text = text.split('\n').join('\n' + spaces(job.indent));
  return text;
}

function isBuffer(v) { return internals.isBuffer(v); }

function hexBytes(bytes) {
  var n = Math.min(bytes.length, 50), parts = [];
  for (var i = 0; i < n; i++) parts.push((bytes[i] < 16 ? '0' : '') + bytes[i].toString(16));
  var s = parts.join(' ');
  if (bytes.length > 50) s += ' ... ' + (bytes.length - 50) + ' more byte' + (bytes.length - 50 > 1 ? 's' : '');
  return s;
}

function showBuffer(b) {
  return '<' + (ctorName(b) || 'Buffer') + ' ' + hexBytes(b) + '>';
}

function moreItems(n) { return '... ' + n + ' more item' + (n > 1 ? 's' : ''); }

function arrayItems(job, a, level) {
  var out = [], shown = 0, i = 0, limit = job.maxArrayLength;
  job.indent += 2;
  while (i < a.length && shown < limit) {
    if (!hasOwn.call(a, i)) {
      var j = i;
      while (j < a.length && !hasOwn.call(a, j)) j++;
      var holes = j - i;
      out.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
      i = j;
    } else {
      out.push(show(job, a[i], level + 1));
      i++;
    }
    shown++;
  }
  job.indent -= 2;
  if (i < a.length) out.push(moreItems(a.length - i));
  return out;
}

function typedItems(job, a) {
  var n = Math.min(a.length, job.maxArrayLength), out = [];
  for (var i = 0; i < n; i++) out.push(typeof a[i] === 'bigint' ? a[i] + 'n' : showNumber(a[i]));
  if (a.length > n) out.push(moreItems(a.length - n));
  return out;
}

function setItems(job, s, level) {
  var out = [], limit = job.maxArrayLength;
  job.indent += 2;
  s.forEach(function (x) { if (out.length < limit) out.push(show(job, x, level + 1)); });
  job.indent -= 2;
  if (s.size > out.length) out.push(moreItems(s.size - out.length));
  return out;
}

function mapItems(job, m, level) {
  var out = [], limit = job.maxArrayLength;
  job.indent += 2;
  m.forEach(function (x, k) {
    if (out.length < limit) out.push(show(job, k, level + 1) + ' => ' + show(job, x, level + 1));
  });
  job.indent -= 2;
  if (m.size > out.length) out.push(moreItems(m.size - out.length));
  return out;
}

function property(job, obj, key, level, arrayish) {
  var d = Object.getOwnPropertyDescriptor(obj, key) || { value: obj[key], enumerable: true };
  var text;
  if (d.get !== undefined || d.set !== undefined) {
    if (d.get !== undefined && job.getters && (job.getters === true || (job.getters === 'get' && d.set === undefined) || (job.getters === 'set' && d.set !== undefined))) {
      var label2 = d.set !== undefined ? 'Getter/Setter' : 'Getter';
      try {
        job.indent += 2;
        var got = d.get.call(obj);
        var shown = show(job, got, level + 1);
        text = got !== null && typeof got === 'object' ? '[' + label2 + '] ' + shown : '[' + label2 + ': ' + shown + ']';
      } catch (e) {
        text = '[' + label2 + ': <Inspection threw (' + (e && e.message) + ')>]';
      } finally {
        job.indent -= 2;
      }
    } else {
      text = d.get !== undefined ? (d.set !== undefined ? '[Getter/Setter]' : '[Getter]') : '[Setter]';
    }
  } else {
    // The older compact layout indents values by three and moves a
    // value that does not fit under its key.
    var step = job.compact === true ? 3 : 2;
    job.indent += step;
    text = show(job, d.value, level + 1);
    job.indent -= step;
    if (step === 3 && !arrayish && (text.indexOf('\n') >= 0 || width(text) + job.indent > job.breakLength)) {
      text = '\n' + spaces(job.indent + 3) + text;
    }
  }
  var k = showKey(key);
  if (!d.enumerable) k = '[' + (typeof key === 'symbol' ? key.toString() : key) + ']';
  return k + ':' + (text[0] === '\n' ? '' : ' ') + text;
}

// width is how many columns s takes on a terminal: wide East Asian
// characters take two.
function width(s) {
  if (!/[^\x20-\x7e]/.test(s)) return s.length;
  var w = 0;
  for (var ch of s) {
    var c = ch.codePointAt(0);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x300 && c < 0x370) || c === 0x200b || (c >= 0xfe00 && c <= 0xfe0f)) continue;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
      (c >= 0x20000 && c <= 0x3fffd) ? 2 : 1;
  }
  return w;
}

// columns lays a long array of short items out in a table, rows of
// aligned cells, numbers right-aligned: Node's layout, its column count
// fitted to what node prints.
function columns(job, out, value) {
  var count = out.length;
  if (job.maxArrayLength < count || (count > 0 && /^\.\.\. \d+ more items?$/.test(out[count - 1]))) count--;
  var gap = 2, widths = [], total = 0, widest = 0;
  for (var i = 0; i < count; i++) {
    var w = width(out[i]);
    widths.push(w);
    total += w + gap;
    if (w > widest) widest = w;
  }
  var cell = widest + gap;
  if (!(cell * 3 + job.indent < job.breakLength && (total / cell > 5 || widest <= 6))) return out;
  var spread = Math.sqrt(cell - total / out.length);
  var typical = Math.max(cell - 3 - spread, 1);
  var cols = Math.min(Math.round(Math.sqrt(2.5 * typical * count) / typical),
    Math.floor((job.breakLength - job.indent) / cell), job.compact * 4, 15);
  if (cols <= 1) return out;
  var colWidth = [];
  for (var c = 0; c < cols; c++) {
    var m = 0;
    for (var r = c; r < count; r += cols) if (widths[r] > m) m = widths[r];
    colWidth.push(m);
  }
  var right = value !== undefined;
  if (right) {
    for (var n = 0; n < out.length; n++) {
      if (typeof value[n] !== 'number' && typeof value[n] !== 'bigint') { right = false; break; }
    }
  }
  var rows = [];
  for (var start = 0; start < count; start += cols) {
    var end = Math.min(start + cols, count), line = '';
    for (var j = start; j < end; j++) {
      var last = j === end - 1;
      var text = last ? out[j] : out[j] + ', ';
      var pad = colWidth[j - start] + (last ? 0 : gap) - widths[j] - (last ? 0 : gap);
      if (right) line += spaces(pad) + text;
      else line += last ? text : text + spaces(pad);
    }
    rows.push(line);
  }
  for (var x = count; x < out.length; x++) rows.push(out[x]);
  return rows;
}

// fits: an object's entries go on one line when they and their
// separators, plus lead columns, fit in breakLength.
function fits(job, out, base, lead) {
  var total = out.length + lead;
  for (var i = 0; i < out.length; i++) {
    total += width(out[i]);
    if (total > job.breakLength) return false;
  }
  return total <= job.breakLength && base.indexOf('\n') < 0;
}

function layout(job, out, base, braces, arrayish, level, value) {
  var head = base !== '' ? base + ' ' : '';
  if (job.compact === true) {
    if (fits(job, out, base, 0) && out.join('').indexOf('\n') < 0) {
      return braces[0] + (base !== '' ? ' ' + base : '') + ' ' + out.join(', ') + ' ' + braces[1];
    }
    // The older layout: entries follow the brace, closed on the last line.
    var pad = spaces(job.indent);
    var lead = base === '' && braces[0].length === 1 ? ' ' : (base !== '' ? ' ' + base : '') + '\n' + pad + '  ';
    return braces[0] + lead + out.join(',\n' + pad + '  ') + ' ' + braces[1];
  }
  if (typeof job.compact === 'number' && job.compact >= 1) {
    var entries = out.length;
    if (arrayish && entries > 6) out = columns(job, out, value);
    // Room for the braces, the base and the indentation, and Node's slack.
    var lead = out.length + job.indent + braces[0].length + base.length + 10;
    if (job.lastLevel - level < job.compact && entries === out.length && fits(job, out, base, lead)) {
      var line = out.join(', ');
      if (line.indexOf('\n') < 0) return head + braces[0] + ' ' + line + ' ' + braces[1];
    }
  }
  var ind = '\n' + spaces(job.indent);
  return head + braces[0] + ind + '  ' + out.join(',' + ind + '  ') + ind + braces[1];
}

// hasOwnToString: %s prints an object through its own toString when a
// script gave it one, and inspects it otherwise.
function hasOwnToString(v) {
  var f = v.toString;
  if (typeof f !== 'function') return false;
  var src = '';
  try { src = fnSource.call(f); } catch (e) { return false; }
  return src.indexOf('[native code]') < 0;
}

function formatArg(spec, a) {
  switch (spec) {
    case 's':
      if (typeof a === 'bigint') return a + 'n';
      if (typeof a === 'number') return showNumber(a);
      if (typeof a === 'symbol') return a.toString();
      if (a !== null && typeof a === 'object' && !hasOwnToString(a)) return inspect(a, { depth: 0 });
      return String(a);
    case 'd':
      if (typeof a === 'bigint') return a + 'n';
      if (typeof a === 'symbol' || (a !== null && typeof a === 'object')) return typeof a === 'symbol' ? 'NaN' : showNumber(Number(a));
      return showNumber(Number(a));
    case 'i':
      if (typeof a === 'bigint') return a + 'n';
      if (typeof a === 'symbol') return 'NaN';
      return showNumber(parseInt(a));
    case 'f':
      if (typeof a === 'symbol') return 'NaN';
      return showNumber(parseFloat(a));
    case 'j':
      try { return String(JSON.stringify(a)); } catch (e) {
        if (e instanceof TypeError && /circular/i.test(e.message)) return '[Circular]';
        throw e;
      }
    case 'o': return inspect(a, { showHidden: true, showProxy: true, depth: 4 });
    case 'O': return inspect(a);
    case 'c': return '';
  }
}

function format() {
  var args = arguments, first = args[0], next = 1, out = '';
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    var last = 0;
    for (var i = 0; i < first.length - 1; i++) {
      if (first[i] !== '%') continue;
      var spec = first[i + 1];
      if (spec === '%') {
        out += first.slice(last, i) + '%';
        last = i + 2;
        i++;
      } else if ('sdifjoOc'.indexOf(spec) >= 0 && next < args.length) {
        out += first.slice(last, i) + formatArg(spec, args[next++]);
        last = i + 2;
        i++;
      }
    }
    out += first.slice(last);
  } else {
    next = 0;
  }
  for (; next < args.length; next++) {
    var a = args[next];
    out += (next === 0 ? '' : ' ') + (typeof a === 'string' ? a : inspect(a));
  }
  return out;
}

// received describes a wrong argument the way Node's TypeErrors do:
// "Received type number (1)", "Received an instance of Foo".
function received(v) {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'function ' + v.name;
  if (typeof v === 'object') {
    var name = ctorName(v);
    return name !== null ? 'an instance of ' + name : inspect(v, { depth: -1 });
  }
  if (typeof v === 'string' && v.length > 28) v = v.slice(0, 25) + '...';
  return 'type ' + typeof v + ' (' + inspect(v) + ')';
}

// nodeError makes an error the way Node's own are: its code a property,
// and named with it in its text and stack ("TypeError [CODE]: ...").
function nodeError(Ctor, code, message) {
  var e = new Ctor(message);
  e.code = code;
  var shown = e.name + ' [' + code + ']';
  var stack = e.stack;
  if (typeof stack === 'string' && stack.indexOf(e.name) === 0) {
    Object.defineProperty(e, 'stack', { value: shown + stack.slice(e.name.length), writable: true, configurable: true });
  }
  Object.defineProperty(e, 'toString', { value: function toString() { return shown + ': ' + this.message; }, writable: true, configurable: true });
  return e;
}

// argTypeError is Node's ERR_INVALID_ARG_TYPE for argument name.
function argTypeError(name, want, value) {
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "' + name + '" argument must be of type ' + want + '. Received ' + received(value));
}

exports.inspect = inspect;
exports.nodeError = nodeError;
exports.argTypeError = argTypeError;
exports.format = format;
