# Waterline with the CUDA execution provider (onnxruntime-node + CUDA 12 / cuDNN 9).
#   docker build -t waterline .
#   docker run --gpus all -p 8080:8080 -v ~/.cache/waterline/models:/models -e HF_TOKEN waterline
# Check the provider in use: `curl localhost:8080/readyz` (provider field) or the "PaliGemma model
# loaded" log line ({"provider":"cuda"}); `--device cuda` fails loudly instead of falling back to CPU.

# Node 20 binaries, copied into the CUDA runtime image below.
FROM node:20-bookworm-slim AS node

FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get update && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# package.json's allowScripts denies onnxruntime-node's install script (it downloads the CUDA libraries, so a
# plain `npm ci` works offline); ONNXRUNTIME_NODE_INSTALL=skip does the same for npm versions that ignore
# allowScripts. Here the script is then run on purpose to fetch the CUDA 12 provider libraries.
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund \
 && ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY models ./models

ENV NODE_ENV=production \
    WATERLINE_MODELS_DIR=/models \
    WATERLINE_DEVICE=cuda \
    WATERLINE_HOST=0.0.0.0 \
    WATERLINE_PORT=8080
VOLUME /models
EXPOSE 8080
ENTRYPOINT ["node", "bin/waterline.mjs"]
CMD ["serve"]
