#!/usr/bin/env node
// The `plugwire` executable. A committed launcher, so that `npm ci` links and marks it executable on a fresh
// checkout, before dist/ is built.
import "../dist/bin.js";
