# syntax=docker/dockerfile:1
#
# The portal's container image, for those who build with Docker or
# BuildKit:
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t localhost/sspr .
#
# It is the same image as `make image` (server/cmd/mkimage), which needs no
# container engine and no registry and is what the project builds and
# tests; this file is not built by the tests (its base images come from a
# registry). The same layout: /sspr, its web files in /web (server.web_dir's
# default, "web" beside the binary), the user 65532, the data folder
# /var/lib/sspr, the configuration at /etc/sspr/sspr.toml. How to run it:
# docs/OPERATIONS.md.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary, for an image without a C library.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sspr ./server/cmd/sspr
# The browser's bundles and their precompressed .br and .gz (as `make wasm`).
RUN GOOS=js GOARCH=wasm go build -tags sspr_reset -trimpath -ldflags "-s -w" -o /out/web/app.wasm ./app/cmd/wasm \
 && GOOS=js GOARCH=wasm go build -trimpath -ldflags "-s -w" -o /out/web/reg.wasm ./app/cmd/wasm \
 && GOOS=js GOARCH=wasm go build -trimpath -ldflags "-s -w" -o /out/web/desk.wasm ./app/cmd/desk \
 && go run ./server/cmd/precompress /out/web/app.wasm /out/web/reg.wasm /out/web/desk.wasm \
 && chmod 0644 /out/web/* \
 && mkdir -p /out/data && chmod 0700 /out/data

# distroless/static: CA certificates, /etc/passwd with the user 65532
# ("nonroot"), /tmp, and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
COPY --from=build /out/sspr /sspr
COPY --from=build /out/web/ /web/
COPY --from=build --chown=65532:65532 /out/data/ /var/lib/sspr/
USER 65532:65532
WORKDIR /var/lib/sspr
VOLUME ["/var/lib/sspr"]
EXPOSE 8080/tcp
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
STOPSIGNAL SIGTERM
LABEL org.opencontainers.image.title="sspr" \
      org.opencontainers.image.description="Self-service password reset portal" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/sspr-portal/sspr" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["/sspr", "serve", "--config", "/etc/sspr/sspr.toml"]
