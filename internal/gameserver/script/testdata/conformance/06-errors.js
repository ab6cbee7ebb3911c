class GameError extends Error {
  constructor(msg, code) { super(msg); this.name = 'GameError'; this.code = code; }
}
try { throw new GameError('bad move', 7); } catch (e) {
  console.log(e.name, e.message, e.code, e instanceof GameError, e instanceof Error);
  console.log(e.stack.split('\n')[0]);
  console.log(String(e));
}
try { null.x; } catch (e) { console.log(e instanceof TypeError, e.name); }
try { undefinedVariable; } catch (e) { console.log(e.name, e.message); }
try { JSON.parse('{bad'); } catch (e) { console.log(e.name); }
const e = new RangeError('out');
console.log(e.stack.split('\n')[0], Object.keys(e));
const withCause = new Error('outer', { cause: 'inner' });
console.log(withCause.cause);
console.log(Object.prototype.toString.call(e));
