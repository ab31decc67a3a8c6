// Loopback S3 server for the backup tests: @20minutes/s3rver (a maintained
// s3rver fork that verifies SigV4 signatures). Usage:
//   node s3_server.js <data dir> <port file> [bucket...]
// Listens on 127.0.0.1 on a free port and writes the port to <port file>.
// s3rver streams each body into a file through Node's default 16 KiB
// stream buffers: one fs write (and thread-pool round trip) per 16 KiB. With
// 4 MiB buffers a 16 MiB PUT costs it a few writes; measured on the test
// machine, its CPU time for 30 PUTs of 16 MiB fell from 3-4 s to 2-3 s. Configuration only:
// what the server stores and checks is unchanged.
require('stream').setDefaultHighWaterMark(false, 4 << 20);
const S3rver = require('@20minutes/s3rver');

const [dir, portFile, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  directory: dir,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(() => {
  const { port } = server.httpServer.address();
  require('fs').writeFileSync(portFile + '.tmp', String(port));
  require('fs').renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
