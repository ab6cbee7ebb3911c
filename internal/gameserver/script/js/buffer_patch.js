// Buffer's Node.js surface beyond goja_nodejs's: applied once, when a
// script first reaches Buffer.
module.exports = function patchBuffer(B) {
  Object.defineProperty(B, 'name', { value: 'Buffer' });
  // Encodings goja_nodejs lacks (latin1, binary, ascii, utf16le, ucs2) or
  // names otherwise (base64url), and Node's case-insensitive names.
  var native = { utf8: 'utf8', 'utf-8': 'utf8', hex: 'hex', base64: 'base64', base64url: 'base64Url' };
  function encodingOf(enc) {
    if (enc === undefined || enc === null) return 'utf8';
    var e = String(enc).toLowerCase();
    if (native[e]) return native[e];
    if (e === 'latin1' || e === 'binary') return 'latin1';
    if (e === 'ascii') return 'ascii';
    if (e === 'ucs2' || e === 'ucs-2' || e === 'utf16le' || e === 'utf-16le') return 'utf16le';
    var err = new TypeError('Unknown encoding: ' + enc);
    err.code = 'ERR_UNKNOWN_ENCODING';
    throw err;
  }
  var nativeFrom = B.from, nativeToString = B.prototype.toString;
  function fromString(s, enc) {
    var b, i;
    if (enc === 'latin1' || enc === 'ascii') {
      b = B.alloc(s.length);
      for (i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
      return b;
    }
    b = B.alloc(s.length * 2);
    for (i = 0; i < s.length; i++) { var c = s.charCodeAt(i); b[2 * i] = c & 255; b[2 * i + 1] = c >> 8; }
    return b;
  }
  B.prototype.toString = function toString(enc, start, end) {
    var e = encodingOf(enc);
    var view = start === undefined && end === undefined ? this : Uint8Array.prototype.subarray.call(this, start || 0, end === undefined ? this.length : end);
    if (e !== 'latin1' && e !== 'ascii' && e !== 'utf16le') {
      return nativeToString.call(view === this ? this : B.from(view.buffer, view.byteOffset, view.length), e);
    }
    var out = '', i;
    if (e === 'utf16le') {
      for (i = 0; i + 1 < view.length; i += 2) out += String.fromCharCode(view[i] | view[i + 1] << 8);
      return out;
    }
    for (i = 0; i < view.length; i++) out += String.fromCharCode(e === 'ascii' ? view[i] & 127 : view[i]);
    return out;
  };
  // Node's static methods are plain functions, so `new Buffer.from(x)`
  // (a common slip) returns the buffer: these wrap the native ones.
  B.from = function from(v, encOrOffset, length) {
    if (typeof v === 'string') {
      var e = encodingOf(encOrOffset);
      return e === 'latin1' || e === 'ascii' || e === 'utf16le' ? fromString(v, e) : nativeFrom.call(B, v, e);
    }
    return nativeFrom.apply(B, arguments);
  };
  ['alloc', 'concat'].forEach(function (name) {
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
};
