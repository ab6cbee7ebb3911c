// A small protobuf (proto3) writer and reader: just the wire types Mega Frog
// Race's messages use (varint, 64-bit double, length-delimited).
'use strict';

const TWO_32 = 4294967296;

// Writer appends fields to a growing byte array. Sub-messages are written
// into the same array after room for their length, which is then filled in
// (moving the bytes when the length needs more than one byte).
function Writer() {
  this.buf = new Uint8Array(128);
  this.cap = 128; // buf.length, kept apart: reading a typed array's length is slow in some engines
  this.pos = 0;
  this.marks = [];
}

Writer.prototype.byte = function (b) {
  if (this.pos === this.cap) {
    const bigger = new Uint8Array(this.cap * 2);
    bigger.set(this.buf);
    this.buf = bigger;
    this.cap *= 2;
  }
  this.buf[this.pos++] = b;
};

// rawVarint writes a non-negative integer up to 2^53 using arithmetic, since
// JavaScript's bit operators work on 32 bits.
Writer.prototype.rawVarint = function (n) {
  while (n >= 128) {
    this.byte((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  this.byte(n);
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
    this.byte(b + 128);
  }
  this.byte(1);
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

// A double's bytes, read through a byte view of the same memory: typed
// array indexing is much cheaper than DataView calls in an interpreter.
// Protobuf doubles are little-endian, like the hosts this runs on.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

Writer.prototype.double = function (field, x) {
  if (!x) return this;
  this.tag(field, 1);
  f64[0] = x;
  for (let i = 0; i < 8; i++) this.byte(f64Bytes[i]);
  return this;
};

Writer.prototype.bytesField = function (field, data) {
  const n = data.length;
  this.tag(field, 2);
  this.rawVarint(n);
  for (let i = 0; i < n; i++) this.byte(data[i]);
  return this;
};

// string writes a string field; ASCII without a detour through a Buffer.
Writer.prototype.string = function (field, s) {
  if (!s) return this;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) > 127) return this.bytesField(field, Buffer.from(s, 'utf8'));
  }
  this.tag(field, 2);
  this.rawVarint(n);
  for (let i = 0; i < n; i++) this.byte(s.charCodeAt(i));
  return this;
};

// begin starts a sub-message field; end closes it.
Writer.prototype.begin = function (field) {
  this.tag(field, 2);
  this.byte(0); // the length, if it fits one byte
  this.marks.push(this.pos);
  return this;
};

Writer.prototype.end = function () {
  const start = this.marks.pop();
  const len = this.pos - start;
  if (len < 128) {
    this.buf[start - 1] = len;
    return this;
  }
  const body = this.buf.slice(start, this.pos);
  this.pos = start - 1;
  this.rawVarint(len);
  for (let i = 0; i < len; i++) this.byte(body[i]);
  return this;
};

// packed writes a repeated integer field.
Writer.prototype.packed = function (field, values) {
  if (values.length === 0) return this;
  this.begin(field);
  for (let i = 0; i < values.length; i++) this.rawInt(values[i]);
  return this.end();
};

// reset empties the writer for the next message, keeping its memory.
Writer.prototype.reset = function () {
  this.pos = 0;
  this.marks.length = 0;
  return this;
};

// finish returns the message's bytes.
Writer.prototype.finish = function () {
  return this.buf.slice(0, this.pos);
};

// view returns the message's bytes without a copy: valid until the writer
// is reset, so only for a message sent at once.
Writer.prototype.view = function () {
  return this.buf.subarray(0, this.pos);
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
