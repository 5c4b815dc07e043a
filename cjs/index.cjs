'use strict';
// What `require('rnnkit')` loads (the "require" condition of package.json "exports").
// rnnkit is an ES module. Where Node.js can require() ES modules (20.19+, 22.12+: the
// module graph has no top-level await), this hands back the very same module instance
// that `import('rnnkit')` gives; elsewhere it throws an error saying what to write instead.
try {
  module.exports = require('../dist/index.js');
} catch (e) {
  const code = e !== null && typeof e === 'object' ? e.code : undefined;
  if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw e;
  const err = new Error(
    "rnnkit is an ES module: use `const rnnkit = await import('rnnkit')` from CommonJS " +
      "(or `import * as rnnkit from 'rnnkit'` in an ES module); require() of an ES module is not " +
      'available here (Node.js ' +
      process.version +
      '; it needs 20.19+ or 22.12+, without --no-experimental-require-module)',
    { cause: e },
  );
  err.code = code;
  throw err;
}
