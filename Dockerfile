# rcopy-exporter image: static exporter, checker and fakearray binaries on a distroless base.
#   docker build -t rcopy-exporter .
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD) -t rcopy-exporter .
# Run: see README.md, section Docker.
# The build steps are run in CI without Docker (alerts/docker_test.go); the image itself has not
# been built there.

# The Go release of go.mod's toolchain line (the standard library's security fixes).
FROM golang:1.26.10-bookworm AS build
WORKDIR /src
# The image's Go builds, never another one fetched; CGO off: fully static binaries, which run
# without libc on distroless/static.
ENV GOTOOLCHAIN=local CGO_ENABLED=0
# Modules first: a source change then reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
RUN go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.BuildUser=docker" \
      -o /out/ ./cmd/exporter ./cmd/checker ./cmd/fakearray

# distroless/static: CA certificates (CIM over HTTPS) and time zones, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/exporter /out/checker /out/fakearray /usr/local/bin/
COPY LICENSE /usr/share/doc/rcopy-exporter/LICENSE
# rcopy.yml, the password file and known_hosts are mounted here (paths in rcopy.yml are
# relative to it); nothing secret is baked into the image.
WORKDIR /etc/rcopy-exporter
# distroless' nonroot user, numeric so that runAsNonRoot checks can verify it.
USER 65532:65532
EXPOSE 9840
ENTRYPOINT ["/usr/local/bin/exporter", "--config.file=/etc/rcopy-exporter/rcopy.yml"]
