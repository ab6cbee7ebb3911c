// A small protobuf (proto3) writer and reader: just the wire types Mega Frog
// Race's messages use (varint, 64-bit double, length-delimited).
'use strict';

const TWO_32 = 4294967296;

function Writer() {
  this.bytes = [];
}

// varint writes a non-negative integer up to 2^53 using arithmetic, since
// JavaScript's bit operators work on 32 bits.
Writer.prototype.rawVarint = function (n) {
  while (n >= 128) {
    this.bytes.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  this.bytes.push(n);
};

// rawInt writes an int32/int64/enum value; negatives as ten-byte two's complement.
Writer.prototype.rawInt = function (n) {
  if (n >= 0) {
    this.rawVarint(n);
    return;
  }
  let lo = n % TWO_32; // two's complement of a value within 2^53
  let hi = Math.floor(n / TWO_32);
  lo = (lo + TWO_32) % TWO_32;
  hi = (hi + TWO_32) % TWO_32;
  for (let i = 0; i < 9; i++) {
    const b = lo % 128;
    lo = Math.floor(lo / 128) + (hi % 128) * (TWO_32 / 128);
    hi = Math.floor(hi / 128);
    this.bytes.push(b + 128);
  }
  this.bytes.push(1);
};

Writer.prototype.tag = function (field, wire) {
  this.rawVarint(field * 8 + wire);
};

// int writes an integer, enum or bool field; proto3 leaves zeros out.
Writer.prototype.int = function (field, n) {
  if (n === true) n = 1;
  if (!n) return this;
  this.tag(field, 0);
  this.rawInt(n);
  return this;
};

Writer.prototype.double = function (field, x) {
  if (!x) return this;
  this.tag(field, 1);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x, true);
  for (let i = 0; i < 8; i++) this.bytes.push(view.getUint8(i));
  return this;
};

Writer.prototype.bytesField = function (field, data) {
  this.tag(field, 2);
  this.rawVarint(data.length);
  for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
  return this;
};

Writer.prototype.string = function (field, s) {
  if (!s) return this;
  return this.bytesField(field, Buffer.from(s, 'utf8'));
};

// message writes a sub-message (always, even when empty).
Writer.prototype.message = function (field, w) {
  return this.bytesField(field, w.bytes);
};

// packed writes a repeated integer field.
Writer.prototype.packed = function (field, values) {
  if (values.length === 0) return this;
  const inner = new Writer();
  values.forEach(function (v) { inner.rawInt(v); });
  return this.bytesField(field, inner.bytes);
};

Writer.prototype.finish = function () {
  return Buffer.from(this.bytes);
};

// read parses a message into {field: [values]}: varints as numbers (up to
// 2^53), doubles as numbers, length-delimited fields as Buffers.
function read(buf) {
  const fields = {};
  let i = 0;
  function varint() {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new RangeError('truncated varint');
      const b = buf[i++];
      n += (b & 127) * mul;
      if (b < 128) return n;
      mul *= 128;
    }
  }
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    let value;
    switch (key % 8) {
    case 0: value = varint(); break;
    case 1:
      if (i + 8 > buf.length) throw new RangeError('truncated double');
      value = new DataView(Uint8Array.from(buf.slice(i, i + 8)).buffer).getFloat64(0, true);
      i += 8;
      break;
    case 2: {
      const len = varint();
      if (i + len > buf.length) throw new RangeError('truncated field ' + field);
      value = buf.slice(i, i + len);
      i += len;
      break;
    }
    default: throw new RangeError('unsupported wire type ' + (key % 8));
    }
    (fields[field] = fields[field] || []).push(value);
  }
  return fields;
}

module.exports = { Writer: Writer, read: read };
