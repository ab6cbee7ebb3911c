const EventEmitter = require('events');
const { once } = require('events');
class Race extends EventEmitter {}
const r = new Race();
r.on('hop', (lane, n) => console.log('hop', lane, n));
r.prependListener('hop', () => console.log('first'));
r.once('start', () => console.log('start once'));
console.log(r.emit('hop', 1, 2), r.emit('start'), r.emit('start'), r.emit('none'));
console.log(r.listenerCount('hop'), r.eventNames());
const h = () => console.log('never');
r.on('x', h);
r.off('x', h);
console.log(r.emit('x'), r.listenerCount('x'));
try { r.emit('error', new Error('boom')); } catch (e) { console.log('thrown', e.message); }
try { r.emit('error', 'str'); } catch (e) { console.log(e.message, e.code); }
r.on('error', (e) => console.log('handled', e.message));
r.emit('error', new Error('ok'));
r.removeAllListeners('hop');
console.log(r.listenerCount('hop'), EventEmitter.defaultMaxListeners, r.getMaxListeners());
console.log(r instanceof EventEmitter, typeof EventEmitter.EventEmitter);
once(r, 'ready').then((args) => console.log('once resolved', args));
r.emit('ready', 1, 2);
