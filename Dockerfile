# rcopy-exporter image: static exporter, checker and fakearray binaries on a distroless base.
#   docker build -t rcopy-exporter .
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD) -t rcopy-exporter .
# Run: see README.md, section Docker.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: a source change then reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
# CGO off: fully static binaries, which run without libc on distroless/static.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.BuildUser=docker" \
      -o /out/ ./cmd/exporter ./cmd/checker ./cmd/fakearray

# distroless/static: CA certificates (CIM over HTTPS) and time zones, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/exporter /out/checker /out/fakearray /usr/local/bin/
# rcopy.yml, the password file and known_hosts are mounted here (paths in rcopy.yml are
# relative to it); nothing secret is baked into the image.
WORKDIR /etc/rcopy-exporter
# distroless' nonroot user, numeric so that runAsNonRoot checks can verify it.
USER 65532:65532
EXPOSE 9840
ENTRYPOINT ["/usr/local/bin/exporter", "--config.file=/etc/rcopy-exporter/rcopy.yml"]
