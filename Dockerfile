# collab-ledger server image: a static collabledger binary on a distroless
# base. docker-compose.yml builds it as the "ledger" service.
#
#   docker build -t collab-ledger .
#   docker run -p 8080:8080 -v ledger-data:/data collab-ledger                      # embedded file store
#   docker run -p 8080:8080 collab-ledger serve --addr :8080 --store 'esdb://host:2113?tls=false'

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that editing the code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/collabledger ./cmd/collabledger \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/collabledger /usr/local/bin/collabledger
# The embedded store's folder, writable by the nonroot user (uid 65532).
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/collabledger"]
CMD ["serve", "--addr", ":8080", "--store", "file:/data/ledger.db"]
