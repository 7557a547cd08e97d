// The envelope every JSON answer is (API.md): {code, data, msg}; code 200 is success. The server
// builds it (its error envelopes in src/contract/envelope.ts), the SDK reads it.

export interface Envelope<Data extends Record<string, unknown> = Record<string, unknown>> {
  code: number;
  data: Data;
  msg: string;
}

export const SUCCESS_CODE = 200;

export function successEnvelope<Data extends Record<string, unknown>>(data: Data): Envelope<Data> {
  return { code: SUCCESS_CODE, data, msg: 'success' };
}
