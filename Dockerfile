# syntax=docker/dockerfile:1
# Depthmill, multi-stage. The build stage fetches the models (from the npm registry, by the same
# install hook `npm ci` runs), installs and compiles; the runtime stages keep production
# dependencies, the compiled code and the models, and run as a non-root user.
#
#   docker build -t depthmill .                                            # CPU (api, worker, all)
#   docker build -t depthmill:gpu --target runtime-gpu \
#     --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 .                        # GPU worker
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV DEPTHMILL_MODELS=/app/models
# Models first: this layer stays cached while only the code changes.
COPY scripts ./scripts
COPY src/models/models.json src/models/cache-dir.mjs ./src/models/
RUN node scripts/install-models.mjs
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund
# The CUDA files of ONNX Runtime, for the GPU image only (the CPU runtime ships in the package).
ARG ONNXRUNTIME_NODE_INSTALL=skip
RUN if [ "$ONNXRUNTIME_NODE_INSTALL" != "skip" ]; then \
      ONNXRUNTIME_NODE_INSTALL=$ONNXRUNTIME_NODE_INSTALL node node_modules/onnxruntime-node/script/install; fi

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production DEPTHMILL_MODELS=/app/models DEPTHMILL_DATA=/data HOST=0.0.0.0 PORT=8080
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
# The SDK workspace (@depthmill/client), which node_modules links to and the server imports.
COPY --from=build --chown=node:node /app/packages/client/package.json ./packages/client/package.json
COPY --from=build --chown=node:node /app/packages/client/dist ./packages/client/dist
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/scripts ./scripts
COPY --from=build --chown=node:node /app/models ./models
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/depthmill.js"]
CMD ["serve", "--role", "all"]

# GPU worker: CUDA 12 and cuDNN from NVIDIA's runtime image, Node copied in. Run it with
# DEPTHMILL_EXECUTION_PROVIDERS=cuda,cpu (it falls back to the CPU, with a warning, if no GPU).
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS runtime-gpu
COPY --from=build /usr/local/bin/node /usr/local/bin/node
RUN useradd --create-home --uid 1000 depthmill && mkdir -p /data /app && chown depthmill /data
WORKDIR /app
ENV NODE_ENV=production DEPTHMILL_MODELS=/app/models DEPTHMILL_DATA=/data DEPTHMILL_EXECUTION_PROVIDERS=cuda,cpu
COPY --from=build --chown=depthmill /app/package.json ./
COPY --from=build --chown=depthmill /app/node_modules ./node_modules
COPY --from=build --chown=depthmill /app/packages/client/package.json ./packages/client/package.json
COPY --from=build --chown=depthmill /app/packages/client/dist ./packages/client/dist
COPY --from=build --chown=depthmill /app/dist ./dist
COPY --from=build --chown=depthmill /app/bin ./bin
COPY --from=build --chown=depthmill /app/models ./models
USER depthmill
ENTRYPOINT ["node", "bin/depthmill.js"]
CMD ["serve", "--role", "worker"]
