// Stands in for node:tls in a plugin bundled for a V8 startup snapshot (see README.md, "Making a plugin start fast
// and small"): Node's snapshot builder aborts when the snapshot holds node:tls, so tls loads on its first use.
let tls;
module.exports = new Proxy({}, { get: (_, key) => (tls ??= require('node:tls'))[key] });
