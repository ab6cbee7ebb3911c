// Leapfrog's stand-in for the protobuf runtime under the GameLift Realtime
// runtime's generated modules (Packet_pb.js and the rest): message classes
// with the API that google-protobuf's generated JavaScript has (getX/setX,
// clearX/hasX, getXList/addX, oneof cases, serializeBinary,
// deserializeBinary, toObject), built from a field table. proto3 rules:
// scalars default to zero values and are not written when zero.
'use strict';

var TYPES = {
  int32: { wire: 0, zero: 0 },
  sint32: { wire: 0, zero: 0 },
  bool: { wire: 0, zero: false },
  string: { wire: 2, zero: '' },
  bytes: { wire: 2, zero: '' },
  message: { wire: 2 },
};

function utf8Encode(s) {
  return Uint8Array.from(Buffer.from(s, 'utf8'));
}

function utf8Decode(b) {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
}

function b64ToU8(s) {
  return Uint8Array.from(Buffer.from(s, 'base64'));
}

function u8ToB64(b) {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}

function Writer() {
  this.bytes = [];
}

Writer.prototype.varint = function (v) {
  // int32 negatives are ten bytes, as protobuf writes them.
  var lo = v >>> 0;
  var hi = v < 0 ? 0xffffffff : 0;
  while (hi > 0 || lo > 127) {
    this.bytes.push((lo & 0x7f) | 0x80);
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
  }
  this.bytes.push(lo);
};

Writer.prototype.tag = function (no, wire) {
  this.varint((no << 3) | wire);
};

Writer.prototype.chunk = function (u8) {
  this.varint(u8.length);
  for (var i = 0; i < u8.length; i++) this.bytes.push(u8[i]);
};

function Reader(u8) {
  this.b = u8;
  this.pos = 0;
}

Reader.prototype.varint = function () {
  var lo = 0;
  var shift = 0;
  var byte;
  do {
    if (this.pos >= this.b.length) throw new Error('Failure: truncated varint in protobuf message');
    byte = this.b[this.pos++];
    if (shift < 32) lo |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 70);
  if (byte & 0x80) throw new Error('Failure: varint longer than 10 bytes in protobuf message');
  return lo | 0;
};

Reader.prototype.chunk = function () {
  var n = this.varint();
  if (n < 0 || this.pos + n > this.b.length) throw new Error('Failure: truncated length-delimited field in protobuf message');
  var out = this.b.subarray(this.pos, this.pos + n);
  this.pos += n;
  return out;
};

Reader.prototype.skip = function (wire) {
  switch (wire) {
    case 0: this.varint(); return;
    case 1: this.pos += 8; break;
    case 2: this.chunk(); return;
    case 5: this.pos += 4; break;
    default: throw new Error('Failure: unknown wire type ' + wire + ' in protobuf message');
  }
  if (this.pos > this.b.length) throw new Error('Failure: truncated fixed-size field in protobuf message');
};

function upper(name) {
  // google-protobuf's accessor names lower-case the field name, then capitalise
  // the first letter: opCode -> getOpcode, targetPlayer -> getTargetplayer.
  var low = name.toLowerCase();
  return low.charAt(0).toUpperCase() + low.slice(1);
}

// define makes a message class. fields: [{name, no, type, repeated, message,
// oneof}], with message the class (or a function returning it) for
// type 'message'.
function define(typeName, fields, oneofs) {
  function Message(data) {
    this._f = {};
    if (Array.isArray(data)) {
      // Generated classes take their fields as an array by field position.
      for (var i = 0; i < fields.length && i < data.length; i++) {
        if (data[i] !== undefined && data[i] !== null) this._f[fields[i].no] = data[i];
      }
    }
  }
  Message.displayName = 'proto.com.gamelift.rt.proto.' + typeName;
  Object.defineProperty(Message, 'name', { value: typeName });
  Object.defineProperty(Message.prototype, '_f', { writable: true, enumerable: false, value: null });

  var byNo = {};
  fields.forEach(function (f) {
    byNo[f.no] = f;
    var U = upper(f.name);
    var cls = function () { return typeof f.message === 'function' && !f.message.deserializeBinary ? f.message() : f.message; };
    if (f.repeated) {
      Message.prototype['get' + U + 'List'] = function () {
        if (!this._f[f.no]) this._f[f.no] = [];
        return this._f[f.no];
      };
      Message.prototype['set' + U + 'List'] = function (v) { this._f[f.no] = (v || []).slice(); return this; };
      Message.prototype['add' + U] = function (v, index) {
        var l = this['get' + U + 'List']();
        if (index === undefined) l.push(v); else l.splice(index, 0, v);
        return v;
      };
      Message.prototype['clear' + U + 'List'] = function () { this._f[f.no] = []; return this; };
      return;
    }
    if (f.type === 'message') {
      Message.prototype['get' + U] = function () { return this._f[f.no]; };
      Message.prototype['set' + U] = function (v) {
        if (v !== undefined && v !== null && !(v instanceof cls())) {
          throw new TypeError('set' + U + ': want a ' + cls().name);
        }
        if (f.oneof) clearOneof(this, f.oneof, f.no);
        this._f[f.no] = v === null ? undefined : v;
        return this;
      };
      Message.prototype['clear' + U] = function () { return this['set' + U](undefined); };
      Message.prototype['has' + U] = function () { return this._f[f.no] !== undefined; };
      return;
    }
    var zero = TYPES[f.type].zero;
    Message.prototype['get' + U] = function () {
      var v = this._f[f.no];
      return v === undefined ? zero : v;
    };
    Message.prototype['set' + U] = function (v) {
      switch (f.type) {
        case 'int32': case 'sint32': v = v | 0; break;
        case 'bool': v = !!v; break;
        case 'string': v = String(v); break;
      }
      this._f[f.no] = v;
      return this;
    };
    if (f.type === 'bytes') {
      Message.prototype['get' + U + '_asU8'] = function () {
        var v = this._f[f.no];
        if (v === undefined || v === '') return new Uint8Array(0);
        return typeof v === 'string' ? b64ToU8(v) : v;
      };
      Message.prototype['get' + U + '_asB64'] = function () {
        var v = this._f[f.no];
        if (v === undefined) return '';
        return typeof v === 'string' ? v : u8ToB64(v);
      };
    }
  });

  function clearOneof(msg, group, keep) {
    oneofs[group].forEach(function (no) { if (no !== keep) delete msg._f[no]; });
  }

  Object.keys(oneofs || {}).forEach(function (group) {
    var U = upper(group);
    var Case = { };
    Case[group.toUpperCase() + '_NOT_SET'] = 0;
    oneofs[group].forEach(function (no) { Case[byNo[no].name.toUpperCase()] = no; });
    Message[U + 'Case'] = Case;
    Message.prototype['get' + U + 'Case'] = function () {
      for (var i = 0; i < oneofs[group].length; i++) {
        if (this._f[oneofs[group][i]] !== undefined) return oneofs[group][i];
      }
      return 0;
    };
  });

  Message.prototype.serializeBinary = function () {
    var w = new Writer();
    this._write(w);
    return Uint8Array.from(w.bytes);
  };

  Message.prototype._write = function (w) {
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var v = this._f[f.no];
      if (v === undefined) continue;
      if (f.repeated) {
        if (v.length === 0) continue;
        var inner = new Writer();
        v.forEach(function (x) { inner.varint(x | 0); });
        w.tag(f.no, 2);
        w.chunk(inner.bytes);
        continue;
      }
      switch (f.type) {
        case 'message': {
          var sub = new Writer();
          v._write(sub);
          w.tag(f.no, 2);
          w.chunk(sub.bytes);
          break;
        }
        case 'int32': if (v !== 0) { w.tag(f.no, 0); w.varint(v); } break;
        case 'sint32': if (v !== 0) { w.tag(f.no, 0); w.varint(((v << 1) ^ (v >> 31)) >>> 0); } break;
        case 'bool': if (v) { w.tag(f.no, 0); w.varint(1); } break;
        case 'string': if (v !== '') { w.tag(f.no, 2); w.chunk(utf8Encode(v)); } break;
        case 'bytes': {
          var u8 = typeof v === 'string' ? b64ToU8(v) : v;
          if (u8.length > 0) { w.tag(f.no, 2); w.chunk(u8); }
          break;
        }
      }
    }
  };

  Message.deserializeBinary = function (bytes) {
    var u8 = bytes instanceof Uint8Array ? bytes : typeof bytes === 'string' ? b64ToU8(bytes) : Uint8Array.from(bytes || []);
    var m = new Message();
    m._read(new Reader(u8), u8.length);
    return m;
  };

  Message.prototype._read = function (r, end) {
    while (r.pos < end) {
      var key = r.varint();
      var no = key >>> 3;
      var wire = key & 7;
      var f = byNo[no];
      if (!f) { r.skip(wire); continue; }
      if (f.repeated) {
        var l = this['get' + upper(f.name) + 'List']();
        if (wire === 2) {
          var packed = new Reader(r.chunk());
          while (packed.pos < packed.b.length) l.push(packed.varint());
        } else {
          l.push(r.varint());
        }
        continue;
      }
      if (wire !== TYPES[f.type].wire) { r.skip(wire); continue; }
      switch (f.type) {
        case 'message': {
          var chunk = r.chunk();
          var sub = new (cls(f))();
          sub._read(new Reader(chunk), chunk.length);
          if (f.oneof) clearOneof(this, f.oneof, f.no);
          this._f[f.no] = sub;
          break;
        }
        case 'int32': this._f[f.no] = r.varint(); break;
        case 'sint32': { var z = r.varint(); this._f[f.no] = (z >>> 1) ^ -(z & 1); break; }
        case 'bool': this._f[f.no] = r.varint() !== 0; break;
        case 'string': this._f[f.no] = utf8Decode(r.chunk()); break;
        case 'bytes': this._f[f.no] = Uint8Array.from(r.chunk()); break;
      }
    }
  };

  function cls(f) {
    return typeof f.message === 'function' && !f.message.deserializeBinary ? f.message() : f.message;
  }

  Message.toObject = function (includeInstance, msg) {
    var o = {};
    fields.forEach(function (f) {
      var key = f.name.toLowerCase();
      var v = msg._f[f.no];
      if (f.repeated) {
        o[key + 'List'] = (v || []).slice();
      } else if (f.type === 'message') {
        o[key] = v === undefined ? undefined : cls(f).toObject(includeInstance, v);
      } else if (f.type === 'bytes') {
        o[key] = msg['get' + upper(f.name) + '_asB64']();
      } else {
        o[key] = msg['get' + upper(f.name)]();
      }
    });
    if (includeInstance) o.$jspbMessageInstance = msg;
    return o;
  };

  Message.prototype.toObject = function (includeInstance) {
    return Message.toObject(includeInstance, this);
  };

  Message.prototype.cloneMessage = function () {
    return Message.deserializeBinary(this.serializeBinary());
  };

  Message.prototype.toString = function () {
    return JSON.stringify(this.toObject());
  };

  return Message;
}

module.exports = { define: define };
