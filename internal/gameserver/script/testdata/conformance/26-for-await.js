// Async generators and for await: not in goja (the script fails to load).
async function* count() { yield 1; yield 2; }
(async () => {
  for await (const v of count()) console.log('for await', v);
})();
