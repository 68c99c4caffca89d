#!/usr/bin/env node
// The `plugwire` executable.
import { main } from './main.js';

const stdout = { write: (t: string) => void process.stdout.write(t), isTTY: process.stdout.isTTY === true };
const stderr = { write: (t: string) => void process.stderr.write(t), isTTY: process.stderr.isTTY === true };
process.exitCode = await main(process.argv.slice(2), { stdout, stderr });
