// require('events'): EventEmitter as Node.js documents it, its 'error',
// 'newListener' and 'removeListener' events, the max-listeners warning and
// events.once.
var kCapture = Symbol('kCapture');
var kShapeMode = Symbol('shapeMode');
var errorMonitor = Symbol('events.errorMonitor');
var defaultMax = 10;

// EventEmitter is a plain function, not a class: scripts (and the
// process object) call it on an existing object to make it an emitter.
function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

// Listeners live where scripts have always found them: _events, a
// prototype-less object from event name to a listener or, from the
// second on, an array of them; _eventsCount; _maxListeners.
EventEmitter.init = function init(opts) {
  var parent = Object.getPrototypeOf(this);
  if (this._events === undefined || (parent !== null && this._events === parent._events)) {
    this._events = Object.create(null);
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  this[kShapeMode] = false;
  this[kCapture] = Boolean(opts && opts.captureRejections);
};

// Errors are built by the printer, which describes the wrong value.
function argTypeError(name, want, value) {
  return internals.module('_inspect').argTypeError(name, want, value);
}

function checkListener(listener) {
  if (typeof listener !== 'function') throw argTypeError('listener', 'function', listener);
}

function checkCount(name, n) {
  if (typeof n !== 'number') throw argTypeError(name, 'number', n);
  if (n < 0 || n !== n) {
    throw internals.module('_inspect').nodeError(RangeError, 'ERR_OUT_OF_RANGE',
      'The value of "' + name + '" is out of range. It must be >= 0. Received ' + internals.inspect(n));
  }
}

Object.defineProperty(EventEmitter, 'defaultMaxListeners', {
  enumerable: true,
  get: function () { return defaultMax; },
  set: function (n) {
    checkCount('defaultMaxListeners', n);
    defaultMax = n;
  },
});

var proto = EventEmitter.prototype;
proto._events = undefined;
proto._eventsCount = 0;
proto._maxListeners = undefined;

function events(target) {
  if (target._events === undefined) {
    target._events = Object.create(null);
    target._eventsCount = 0;
  }
  return target._events;
}

proto.setMaxListeners = function setMaxListeners(n) {
  checkCount('setMaxListeners', n);
  this._maxListeners = n;
  return this;
};

proto.getMaxListeners = function getMaxListeners() {
  return this._maxListeners === undefined ? defaultMax : this._maxListeners;
};

// add puts listener first or last among type's, announcing it with
// 'newListener' and warning once per type past the maximum.
function add(target, type, listener, first) {
  checkListener(listener);
  var all = events(target);
  if (all.newListener !== undefined) {
    target.emit('newListener', type, listener.listener ? listener.listener : listener);
    all = events(target);
  }
  var have = all[type];
  if (have === undefined) {
    all[type] = listener;
    target._eventsCount++;
    return target;
  }
  if (typeof have === 'function') have = all[type] = first ? [listener, have] : [have, listener];
  else if (first) have.unshift(listener);
  else have.push(listener);
  var max = target.getMaxListeners();
  if (max > 0 && have.length > max && !have.warned) {
    have.warned = true;
    internals.warn('MaxListenersExceededWarning: Possible EventEmitter memory leak detected. ' + have.length + ' ' +
      String(type) + ' listeners added to ' + internals.inspect(target, { depth: -1 }) + '. MaxListeners is ' + max +
      '. Use emitter.setMaxListeners() to increase limit');
  }
  return target;
}

proto.on = proto.addListener = function addListener(type, listener) { return add(this, type, listener, false); };
proto.prependListener = function prependListener(type, listener) { return add(this, type, listener, true); };

// onceListener wraps listener to remove itself before its one call; the
// wrapper keeps the original as .listener, which rawListeners shows.
function onceListener(target, type, listener) {
  var state = { fired: false, target: target, type: type, listener: listener };
  var wrapper = function onceWrapper() {
    if (this.fired) return undefined;
    this.fired = true;
    this.target.removeListener(this.type, this.wrapper);
    return this.listener.apply(this.target, arguments);
  }.bind(state);
  state.wrapper = wrapper;
  wrapper.listener = listener;
  return wrapper;
}

proto.once = function once(type, listener) {
  checkListener(listener);
  return this.on(type, onceListener(this, type, listener));
};
proto.prependOnceListener = function prependOnceListener(type, listener) {
  checkListener(listener);
  return this.prependListener(type, onceListener(this, type, listener));
};

proto.off = proto.removeListener = function removeListener(type, listener) {
  checkListener(listener);
  var all = this._events;
  if (all === undefined) return this;
  var have = all[type];
  if (have === undefined) return this;
  // The announced listener: the script's own function where a single one
  // is stored, else the one given here (a once wrapper removing itself).
  var removed, announced = listener;
  if (have === listener || have.listener === listener) {
    removed = have;
    announced = have.listener || have;
    if (--this._eventsCount === 0) this._events = Object.create(null);
    else delete all[type];
  } else if (typeof have !== 'function') {
    // The latest added of equal listeners goes first.
    for (var i = have.length - 1; i >= 0; i--) {
      if (have[i] === listener || have[i].listener === listener) {
        removed = have[i];
        have.splice(i, 1);
        break;
      }
    }
    if (removed === undefined) return this;
    if (have.length === 1) all[type] = have[0];
  }
  if (removed === undefined) return this;
  if (all.removeListener !== undefined || (this._events && this._events.removeListener !== undefined)) {
    this.emit('removeListener', type, announced);
  }
  return this;
};

proto.removeAllListeners = function removeAllListeners(type) {
  var all = this._events;
  if (all === undefined) return this;
  var announce = all.removeListener !== undefined;
  if (arguments.length === 0) {
    if (!announce) {
      this._events = Object.create(null);
      this._eventsCount = 0;
      return this;
    }
    var names = Reflect.ownKeys(all);
    for (var i = 0; i < names.length; i++) if (names[i] !== 'removeListener') this.removeAllListeners(names[i]);
    this.removeAllListeners('removeListener');
    this._events = Object.create(null);
    this._eventsCount = 0;
    return this;
  }
  var have = all[type];
  if (have === undefined) return this;
  if (!announce) {
    if (--this._eventsCount === 0) this._events = Object.create(null);
    else delete all[type];
    return this;
  }
  // Announced one by one, the latest added first.
  var list = typeof have === 'function' ? [have] : have.slice();
  for (var j = list.length - 1; j >= 0; j--) this.removeListener(type, list[j]);
  return this;
};

proto.emit = function emit(type) {
  var all = this._events;
  var args = Array.prototype.slice.call(arguments, 1);
  if (type === 'error') {
    if (all !== undefined && all[errorMonitor] !== undefined) this.emit.apply(this, [errorMonitor].concat(args));
    if (all === undefined || all.error === undefined) {
      var er = args[0];
      if (er instanceof Error) throw er;
      var e = internals.module('_inspect').nodeError(Error, 'ERR_UNHANDLED_ERROR', 'Unhandled error. (' + internals.inspect(er) + ')');
      e.context = er;
      throw e;
    }
  }
  if (all === undefined) return false;
  var have = all[type];
  if (have === undefined) return false;
  if (typeof have === 'function') {
    have.apply(this, args);
    return true;
  }
  // A copy: listeners added or removed by a listener wait for the next emit.
  var list = have.slice();
  for (var i = 0; i < list.length; i++) list[i].apply(this, args);
  return true;
};

function listenersOf(target, type, raw) {
  var all = target._events;
  var have = all === undefined ? undefined : all[type];
  if (have === undefined) return [];
  var list = typeof have === 'function' ? [have] : have.slice();
  if (!raw) for (var i = 0; i < list.length; i++) list[i] = list[i].listener || list[i];
  return list;
}

proto.listeners = function listeners(type) { return listenersOf(this, type, false); };
proto.rawListeners = function rawListeners(type) { return listenersOf(this, type, true); };

proto.listenerCount = function listenerCount(type, listener) {
  var list = listenersOf(this, type, true);
  if (listener === undefined || listener === null) return list.length;
  return list.filter(function (l) { return l === listener || l.listener === listener; }).length;
};

proto.eventNames = function eventNames() {
  return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};

EventEmitter.EventEmitter = EventEmitter;
EventEmitter.errorMonitor = errorMonitor;
EventEmitter.captureRejectionSymbol = Symbol.for('nodejs.rejection');
EventEmitter.captureRejections = false;
EventEmitter.usingDomains = false;

// once resolves with the arguments of type's next emit; an 'error' emitted
// first rejects it.
EventEmitter.once = function once(emitter, type) {
  return new Promise(function (resolve, reject) {
    function onError(err) {
      emitter.removeListener(type, onEvent);
      reject(err);
    }
    function onEvent() {
      if (type !== 'error') emitter.removeListener('error', onError);
      resolve(Array.prototype.slice.call(arguments));
    }
    emitter.once(type, onEvent);
    if (type !== 'error') emitter.once('error', onError);
  });
};

EventEmitter.listenerCount = function listenerCount(emitter, type) {
  return typeof emitter.listenerCount === 'function' ? emitter.listenerCount(type) : listenersOf(emitter, type, true).length;
};

EventEmitter.getEventListeners = function getEventListeners(emitter, type) {
  return emitter.listeners(type);
};

EventEmitter.getMaxListeners = function getMaxListeners(emitter) {
  return emitter.getMaxListeners();
};

EventEmitter.setMaxListeners = function setMaxListeners(n) {
  if (n === undefined) n = defaultMax;
  checkCount('n', n);
  if (arguments.length <= 1) {
    defaultMax = n;
    return;
  }
  for (var i = 1; i < arguments.length; i++) arguments[i].setMaxListeners(n);
};

module.exports = EventEmitter;
