// The web globals scripts use that goja lacks: TextEncoder, TextDecoder,
// atob and btoa (over Buffer), each built on first use.
class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(s) {
    const b = Buffer.from(s === undefined ? '' : String(s), 'utf8');
    return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }
}
class TextDecoder {
  constructor(label, opts) {
    const l = String(label === undefined ? 'utf-8' : label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8') {
      throw new RangeError('The "' + label + '" encoding is not supported');
    }
    this.fatal = !!(opts && opts.fatal);
    this.ignoreBOM = !!(opts && opts.ignoreBOM);
  }
  get encoding() { return 'utf-8'; }
  decode(input) {
    if (input === undefined) return '';
    const b = input instanceof ArrayBuffer ? Buffer.from(input) : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    let s = b.toString('utf8');
    if (!this.ignoreBOM && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return s;
  }
}
function btoa(s) {
  s = String(s);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 255) {
      const e = new Error('Invalid character');
      e.name = 'InvalidCharacterError';
      throw e;
    }
  }
  return Buffer.from(s, 'latin1').toString('base64');
}
function atob(s) {
  return Buffer.from(String(s).replace(/[\t\n\f\r ]/g, ''), 'base64').toString('latin1');
}
module.exports = { TextEncoder, TextDecoder, atob, btoa };
