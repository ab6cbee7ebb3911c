const enc = new TextEncoder().encode('frög');
console.log(enc instanceof Uint8Array, enc.length, Array.from(enc).join(','));
console.log(new TextDecoder().decode(enc), new TextDecoder('utf-8').decode(new Uint8Array([0xf0, 0x9f, 0x90, 0xb8]).buffer));
console.log(btoa('frog'), atob('ZnJvZw=='), btoa(String.fromCharCode(255)));
try { btoa('✓'); } catch (e) { console.log(e.name); }
const u = new URL('https://example.com:8443/race?id=7&lane=2#top');
console.log(u.hostname, u.port, u.pathname, u.searchParams.get('lane'), u.hash);
const q = new URLSearchParams({ a: '1', b: 'two words' });
console.log(q.toString());
console.log(typeof performance.now(), performance.now() >= 0, typeof crypto.randomUUID(), crypto.getRandomValues(new Uint8Array(4)).length);
console.log(global === globalThis, typeof global.setTimeout);
