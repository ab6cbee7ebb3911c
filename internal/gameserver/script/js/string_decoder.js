// require('string_decoder'): a StringDecoder that keeps an incomplete
// multi-byte sequence until its next bytes arrive (utf8, utf16le, base64,
// hex, latin1).
function normalize(enc) {
  var e = String(enc === undefined ? 'utf8' : enc).toLowerCase();
  switch (e) {
  case 'utf8': case 'utf-8': return 'utf8';
  case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
  case 'latin1': case 'binary': return 'latin1';
  case 'base64': case 'base64url': case 'hex': case 'ascii': return e;
  }
  throw new TypeError('Unknown encoding: ' + enc);
}
// utf8Need is how many bytes the sequence that b starts holds in all.
function utf8Need(b) {
  if (b >= 0xf0 && b <= 0xf7) return 4;
  if (b >= 0xe0) return 3;
  if (b >= 0xc0) return 2;
  return 1;
}
function StringDecoder(encoding) {
  this.encoding = normalize(encoding);
  this.pending = [];
}
StringDecoder.prototype.write = function write(buf) {
  if (typeof buf === 'string') return buf;
  var bytes = this.pending.concat(Array.prototype.slice.call(buf));
  var keep = 0;
  if (this.encoding === 'utf8') {
    for (var back = 1; back <= Math.min(3, bytes.length); back++) {
      var b = bytes[bytes.length - back];
      if ((b & 0xc0) === 0x80) continue; // a continuation byte
      if (b >= 0xc0 && utf8Need(b) > back) keep = back;
      break;
    }
  } else if (this.encoding === 'utf16le') {
    keep = bytes.length % 2;
    if (keep === 0 && bytes.length >= 2) {
      var hi = bytes[bytes.length - 1];
      if (hi >= 0xd8 && hi <= 0xdb) keep = 2; // a lead surrogate waits for its pair
    }
  } else if (this.encoding === 'base64' || this.encoding === 'base64url') {
    keep = bytes.length % 3;
  }
  this.pending = bytes.slice(bytes.length - keep);
  return Buffer.from(bytes.slice(0, bytes.length - keep)).toString(this.encoding);
};
StringDecoder.prototype.end = function end(buf) {
  var out = buf === undefined ? '' : this.write(buf);
  if (this.pending.length > 0) {
    var rest = Buffer.from(this.pending);
    this.pending = [];
    out += this.encoding === 'utf8' ? '\ufffd' : rest.toString(this.encoding);
  }
  return out;
};
exports.StringDecoder = StringDecoder;
