// structuredClone copies what games clone (plain data, arrays, Map,
// Set, Date, RegExp, typed arrays, errors), keeping shared and circular
// references; functions and symbols are a DataCloneError, as in Node.
module.exports = function structuredClone(value) {
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
      var ctor = internals.isBuffer(v) ? Uint8Array : v.constructor;
      return new ctor(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    }
    if (v instanceof Error) { out = new (globalThis[v.name] || Error)(v.message); if (v.stack) out.stack = v.stack; return out; }
    out = {};
    seen.set(v, out);
    Object.keys(v).forEach(function (k) { out[k] = clone(v[k]); });
    return out;
  }
  return clone(value);
};
