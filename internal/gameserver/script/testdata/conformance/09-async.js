const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function run() {
  console.log('start');
  await sleep(5);
  console.log('after 5');
  const [a, b] = await Promise.all([sleep(1).then(() => 'a'), Promise.resolve('b')]);
  console.log(a, b);
  try { await Promise.reject(new Error('nope')); } catch (e) { console.log('caught', e.message); }
  const r = await Promise.allSettled([Promise.reject(new Error('x')), 1]);
  console.log(r.map((s) => s.status).join(','));
  console.log(await Promise.race([sleep(40).then(() => 'slow'), sleep(1).then(() => 'fast')]));
  console.log(await Promise.any([Promise.reject(new Error('1')), Promise.resolve('any')]));
  return 'done';
}
run().then(console.log);
console.log('sync end');
