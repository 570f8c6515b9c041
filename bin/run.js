#!/usr/bin/env node
// npm entry: hands argv to oclif. The compiled commands live in dist/ (npm run build).
import { execute } from '@oclif/core'

await execute({ dir: import.meta.url })
