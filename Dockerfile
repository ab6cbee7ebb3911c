# syntax=docker/dockerfile:1
# Leapfrog: one image with the four static binaries, on distroless (no shell, no package manager).
#
#   docker build -t leapfrog:dev .
#   /race-server  one game server of the Fleet (Agones adds the SDK sidecar)
#   /allocator    the client service (default entrypoint)
#   /bot          plays races against an allocator (helm test, load tests)
#   /edge         the WebSocket edge: one wss:// name for every race
#
# The build lines produce exactly what `make build` produces (bin/<name>, CGO_ENABLED=0);
# test/deploy checks that they stay in step.

ARG GO_VERSION=1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o bin/race-server ./gameserver/cmd/race-server && \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o bin/allocator ./allocator/cmd/allocator && \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o bin/bot ./test/bot && \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o bin/edge ./edge/cmd/edge

FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="leapfrog" \
      org.opencontainers.image.description="Mega Frog Race servers and the Leapfrog allocator, on Agones" \
      org.opencontainers.image.source="https://github.com/leapfrog-games/leapfrog" \
      org.opencontainers.image.url="https://github.com/leapfrog-games/leapfrog" \
      org.opencontainers.image.vendor="leapfrog-games" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /src/bin/race-server /race-server
COPY --from=build /src/bin/allocator /allocator
COPY --from=build /src/bin/bot /bot
COPY --from=build /src/bin/edge /edge
# distroless "nonroot": uid/gid 65532, the same ids the chart's securityContext asks for.
USER 65532:65532
# Race server game port, race server admin port, allocator HTTP port, edge player and admin ports.
EXPOSE 7654 8081 8080 9443 9090
ENTRYPOINT ["/allocator"]
