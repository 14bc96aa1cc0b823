// A child process that writes through any JobStore, for the contract suite: plain ESM so it runs
// on Node 20 without a TypeScript loader. STORE_MODULE names a module exporting
// `openStore(): Promise<JobStore>` for the backend under test (sqlite-child-store.mjs, pg-child-store.mjs). A line is printed only after the
// write it reports has resolved, so everything printed must survive a kill -9.
//   MODE=crash  observe → settled → uploading (+parts) → part after part → uploaded → done, forever
//   MODE=race   observe and claim the same RACE_FILES paths as a sibling process, then exit
const { openStore } = await import(process.env.STORE_MODULE);
const store = await openStore();
const out = (line) => process.stdout.write(line + '\n');
const facts = (n) => ({ size: 4096, mtimeMs: 1_700_000_000_000 + n, dev: 1, ino: 100_000 + n });

if (process.env.MODE === 'race') {
  const owner = process.env.OWNER;
  const files = Number(process.env.RACE_FILES);
  out('ready');
  for (let n = 0; n < files; n++) {
    const { job } = await store.observe('race', `r${n}.mov`, `/in/r${n}.mov`, facts(n));
    const lease = await store.claim(job.id, owner, 60_000);
    out(`${lease ? 'claimed' : 'refused'} ${job.id}`);
  }
  await store.close();
  out('end');
} else {
  const parts = Number(process.env.PARTS);
  const urls = Array.from({ length: parts }, (_, i) => ({ size: 1024, url: `https://s3.example/p/${i}?X-Amz-Signature=s` }));
  const stopAt = Date.now() + 20_000; // never outlive a broken test
  out('ready');
  for (let n = 0; Date.now() < stopAt; n++) {
    const { job } = await store.observe('crash', `f${n}.mov`, `/in/f${n}.mov`, facts(n));
    out(`job ${job.id}`);
    await store.transition(job.id, 'settled', {}, { durable: 'crash' });
    out(`state ${job.id} settled`);
    await store.transition(job.id, 'uploading', { parts: urls, partsDone: [], fileId: `file-${job.id}` });
    out(`state ${job.id} uploading`);
    for (let i = 0; i < parts; i++) {
      await store.markPartDone(job.id, i);
      out(`part ${job.id} ${i}`);
    }
    await store.transition(job.id, 'uploaded', {}, { durable: 'crash' });
    out(`state ${job.id} uploaded`);
    await store.transition(job.id, 'done', {}, { durable: 'crash' });
    out(`state ${job.id} done`);
  }
}
