# syntax=docker/dockerfile:1
# Multi-stage build: a static, stripped binary on a distroless base that
# runs as a non-root user. Go >= 1.26 is required by go.mod.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY hooks ./hooks
COPY fhir ./fhir
COPY rules ./rules
# The root package embeds the example and seed requests for `fracturecds demo`.
COPY files.go ./
COPY examples ./examples
COPY testdata/seeds ./testdata/seeds
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -tags nomsgpack \
      -ldflags='-s -w' -o /out/fracturecds ./cmd/fracturecds

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fracturecds /fracturecds
USER nonroot:nonroot
# 8080: CDS Hooks. 9090: the admin listener (metrics), loopback-only unless
# admin_addr says otherwise (deploy/kubernetes sets 0.0.0.0:9090).
EXPOSE 8080 9090
# Inside a container the service must listen on all interfaces; put it
# behind TLS termination and EHR authentication (see README "Deploying").
ENTRYPOINT ["/fracturecds", "--addr", "0.0.0.0:8080"]
