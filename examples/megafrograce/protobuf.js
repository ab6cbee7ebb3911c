// A small protobuf (proto3) writer and reader: just the wire types Mega Frog
// Race's messages use (varint, 64-bit double, length-delimited).
'use strict';

const TWO_32 = 4294967296;

// Writer appends fields to a growing byte array. Sub-messages are written
// into the same array after room for their length, which is then filled in
// (moving the bytes when the length needs more than one byte).
function Writer() {
  this.buf = new Uint8Array(256);
  this.cap = 256; // buf.length, kept apart: reading a typed array's length is slow in some engines
  this.pos = 0;
  this.marks = [];
}

// ensure makes room for n more bytes. Field writers reserve once and then
// write into the array directly: in an interpreter, calls cost more than
// the bytes.
Writer.prototype.ensure = function (n) {
  if (this.pos + n <= this.cap) return;
  let cap = this.cap * 2;
  while (this.pos + n > cap) cap *= 2;
  const bigger = new Uint8Array(cap);
  bigger.set(this.buf);
  this.buf = bigger;
  this.cap = cap;
};

Writer.prototype.byte = function (b) {
  this.ensure(1);
  this.buf[this.pos++] = b;
};

// rawVarint writes a non-negative integer up to 2^53: exact division while
// it is beyond 32 bits (JavaScript's bit operators work on 32), then shifts.
Writer.prototype.rawVarint = function (n) {
  this.ensure(10);
  const buf = this.buf;
  let pos = this.pos;
  while (n > 0x7fffffff) {
    const low = n % 128;
    buf[pos++] = low + 128;
    n = (n - low) / 128;
  }
  while (n > 127) {
    buf[pos++] = (n & 127) | 128;
    n >>>= 7;
  }
  buf[pos++] = n;
  this.pos = pos;
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
  this.ensure(8);
  const buf = this.buf;
  const pos = this.pos;
  for (let i = 0; i < 8; i++) buf[pos + i] = f64Bytes[i];
  this.pos = pos + 8;
  return this;
};

Writer.prototype.bytesField = function (field, data) {
  const n = data.length;
  this.tag(field, 2);
  this.rawVarint(n);
  this.ensure(n);
  this.buf.set(data, this.pos);
  this.pos += n;
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
  this.ensure(n);
  const buf = this.buf;
  const pos = this.pos;
  for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
  this.pos = pos + n;
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
  this.ensure(len);
  this.buf.set(body, this.pos);
  this.pos += len;
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
