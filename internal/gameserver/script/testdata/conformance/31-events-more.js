const EventEmitter = require('events');
const util = require('util');
const e = new EventEmitter();
const seen = [];
e.on('newListener', (name, fn) => seen.push('new ' + String(name) + ' ' + (fn.name || 'anon')));
e.on('removeListener', (name, fn) => seen.push('removed ' + String(name) + ' ' + (fn.name || 'anon')));
function a() { seen.push('a'); }
function b() { seen.push('b'); }
e.on('go', a);
e.once('go', b);
e.prependOnceListener('go', function c() { seen.push('c'); });
console.log(e.listeners('go').map((f) => f.name), e.rawListeners('go').map((f) => f.name));
console.log(e.rawListeners('go')[0].listener.name, e.listenerCount('go'), e.listenerCount('go', a));
e.emit('go');
console.log(seen.join(', '));
seen.length = 0;
e.on('go', a);
e.removeListener('go', a);
console.log(e.listenerCount('go'), seen.join(', '));
seen.length = 0;
const sym = Symbol('tick');
e.on(sym, a);
console.log(e.eventNames());
e.removeAllListeners();
console.log(seen.join(', '), e.eventNames(), e.listenerCount('newListener'));
const order = new EventEmitter();
order.on('x', function first() { console.log('first', this === order); order.on('x', () => console.log('added during emit')); });
order.on('x', (v) => console.log('second', v));
order.emit('x', 1);
console.log(order.listenerCount('x'));
const bad = new EventEmitter();
bad.on('boom', () => { throw new Error('listener threw'); });
bad.on('boom', () => console.log('not reached'));
try { bad.emit('boom'); } catch (err) { console.log('caught', err.message); }
const mon = new EventEmitter();
mon.on(EventEmitter.errorMonitor, (err) => console.log('monitor', err && err.message));
try { mon.emit('error', new Error('watched')); } catch (err) { console.log('still thrown', err.message); }
try { mon.emit('error'); } catch (err) { console.log(err.message, err.code); }
try { mon.emit('error', { code: 42 }); } catch (err) { console.log(err.message, err.context); }
for (const f of [() => e.on('x', 'nope'), () => e.setMaxListeners(-1), () => e.setMaxListeners('3'), () => e.once('x', null)]) {
  try { f(); } catch (err) { console.log(err.name, err.code, err.message); }
}
e.setMaxListeners(3);
console.log(e.getMaxListeners(), new EventEmitter().getMaxListeners());
function Legacy() { EventEmitter.call(this); this.kind = 'legacy'; }
util.inherits(Legacy, EventEmitter);
const l = new Legacy();
l.on('ping', (n) => console.log('pong', n));
console.log(l.emit('ping', 7), l instanceof EventEmitter, l.kind);
console.log(new EventEmitter());
console.log(EventEmitter.listenerCount(l, 'ping'), typeof EventEmitter.once, typeof EventEmitter.errorMonitor);
const later = new EventEmitter();
EventEmitter.once(later, 'done').then((args) => console.log('done with', args));
EventEmitter.once(later, 'never').catch((err) => console.log('rejected', err.message, later.listenerCount('never'), later.listenerCount('error')));
later.emit('done', 'x', 2);
later.emit('error', new Error('failed first'));
try { new EventEmitter().emit('error', 'plain'); } catch (err) {
  console.log(String(err), '|', err.stack.split('\n')[0], '|', util.inspect(err).split('\n').slice(-3).join(' '));
}
try { new EventEmitter().setMaxListeners(NaN); } catch (err) { console.log(String(err)); }
