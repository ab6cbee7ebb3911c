// deepEqual is assert's and util.isDeepStrictEqual's comparison (Node's
// rules for what games compare: primitives, arrays, plain objects and
// class instances, Map, Set, Date, RegExp, typed arrays, boxed values).
module.exports = function deepEqual(a, b, strict) {
  var memo = [];
  function eq(a, b) {
    if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
      return false;
    }
    if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    var ta = Object.prototype.toString.call(a), tb = Object.prototype.toString.call(b);
    if (ta !== tb) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    for (var i = 0; i < memo.length; i++) if (memo[i][0] === a && memo[i][1] === b) return true;
    memo.push([a, b]);
    if (a instanceof Date) { if (a.getTime() !== b.getTime()) return false; }
    else if (a instanceof RegExp) { if (String(a) !== String(b) || a.lastIndex !== b.lastIndex) return false; }
    else if (a instanceof Error) { if (a.message !== b.message || a.name !== b.name) return false; }
    else if (ArrayBuffer.isView(a)) {
      if (a.length !== b.length) return false;
      for (i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    } else if (a instanceof Number || a instanceof String || a instanceof Boolean) {
      if (!Object.is(a.valueOf(), b.valueOf())) return false;
    }
    if (a instanceof Map) {
      if (a.size !== b.size) return false;
      var ok = true;
      a.forEach(function (v, k) { if (ok && (!b.has(k) || !eq(v, b.get(k)))) ok = false; });
      if (!ok) return false;
    } else if (a instanceof Set) {
      if (a.size !== b.size) return false;
      var all = true;
      a.forEach(function (v) {
        if (!all || b.has(v)) return;
        if (typeof v !== 'object' || v === null) { all = false; return; }
        var found = false;
        b.forEach(function (w) { if (!found && eq(v, w)) found = true; });
        if (!found) all = false;
      });
      if (!all) return false;
    }
    var ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (i = 0; i < ka.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(b, ka[i]) || !eq(a[ka[i]], b[ka[i]])) return false;
    }
    if (strict) {
      var sa = Object.getOwnPropertySymbols(a).filter(function (s) { return Object.prototype.propertyIsEnumerable.call(a, s); });
      var sb = Object.getOwnPropertySymbols(b).filter(function (s) { return Object.prototype.propertyIsEnumerable.call(b, s); });
      if (sa.length !== sb.length) return false;
      for (i = 0; i < sa.length; i++) if (!eq(a[sa[i]], b[sa[i]])) return false;
    }
    return true;
  }
  return eq(a, b);
};
