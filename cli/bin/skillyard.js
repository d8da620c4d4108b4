#!/usr/bin/env node
// Thin launcher so `npx skillyard` and a global install run the compiled CLI.
require("../dist/src/main.js");
