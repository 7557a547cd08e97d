// Set-up file of the https project: this process's fetch (Node's built-in, which the API helpers
// use) trusts the run's test certificate, and only it, with certificate checks on: a test that
// reaches the server proves the server presents that certificate. Node's fetch takes its default
// dispatcher from the same global slot undici's setGlobalDispatcher fills.
import { readFileSync } from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';
import { inject } from 'vitest';

setGlobalDispatcher(new Agent({ connect: { ca: readFileSync(inject('tlsCert')) } }));
