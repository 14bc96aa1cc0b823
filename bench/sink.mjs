// The minimal sink: a bare node:http server that reads and discards every body and answers 200,
// to show how fast the wire is without the emulator's checks. Prints {"url": …} and runs until killed.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { etag: '"0"', 'content-length': 0 });
    res.end();
  });
});
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
