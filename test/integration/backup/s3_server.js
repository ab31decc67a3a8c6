// Loopback S3 server for the backup tests: @20minutes/s3rver (a maintained
// s3rver fork that verifies SigV4 signatures). Usage:
//   node s3_server.js <data dir> <port file> [bucket...]
// Listens on 127.0.0.1 on a free port and writes the port to <port file>.
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
