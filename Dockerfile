# cxr-vit service image.
#   docker build -t cxr-vit .
#   docker run -p 50051:50051 -p 9464:9464 -v cxr-data:/data cxr-vit
# GPU image: docker build --build-arg ORT_INSTALL=cuda12 -t cxr-vit:cuda .   (then run with --gpus all,
# CXR_EXECUTION_PROVIDER=cuda). The CPU build of onnxruntime-node ships inside its npm package.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ARG ORT_INSTALL=skip
ENV npm_config_onnxruntime_node_install=${ORT_INSTALL}
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json buf.yaml buf.gen.yaml ./
COPY proto ./proto
COPY scripts ./scripts
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CXR_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 50051 9464
# SIGTERM drains in-flight calls (CXR_SHUTDOWN_GRACE_MS) before exit.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli/main.js", "serve"]
