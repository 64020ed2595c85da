# A phased worker image: compiled TypeScript, production npm packages, and the
# rsync/ssh clients the SSH transport drives (perl, for the relay, is in every
# Debian image). Build: docker build -t phased .
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY workflows workflows
COPY activities activities
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends rsync openssh-client ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# PHASED_HOME (release snapshots, cluster versions): a volume the worker's user owns.
RUN mkdir -p /var/lib/phased && chown node:node /var/lib/phased
ENV PHASED_HOME=/var/lib/phased
USER node
ENTRYPOINT ["node", "dist/src/app/cli/main.js"]
CMD ["worker"]
