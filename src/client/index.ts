// `depthmill/client`: the SDK under the server package's name, for programs written before it was
// its own package. The SDK itself is @depthmill/client (packages/client): install that alone.
export * from '@depthmill/client';
