#!/usr/bin/env node
// Copies the non-TypeScript files the compiled service reads next to its compiled modules.
'use strict';
const { cpSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..');
cpSync(join(root, 'src/api/generated/descriptor.binpb'), join(root, 'dist/src/api/generated/descriptor.binpb'));
