# A static monitoring-stack binary on a minimal base, for kustomize `container:` generators and
# kpt `image:` functions. Build: docker build -t ghcr.io/<org>/monitoring-stack:0.1.0 .
FROM docker.io/library/rust:1.95-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The spec structs' `#[derive(SpecDeserialize)]` (src/spec/fields.rs).
COPY derive ./derive
# Pins (src/versions.rs) and the vendored dashboards and rules (src/stack/mixins.rs) are compiled in.
COPY versions.yaml ./
COPY vendor/mixins/vendored.rs ./vendor/mixins/vendored.rs
COPY vendor/mixins/dashboards ./vendor/mixins/dashboards
COPY vendor/mixins/rules ./vendor/mixins/rules
COPY wasm ./wasm
RUN cargo build --release --locked --bin monitoring-stack \
 && strip target/release/monitoring-stack

# distroless/static: no shell, no package manager, runs as nonroot (65532). kustomize runs
# containers with `--user nobody --network none`; the binary needs neither a user nor a network.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/release/monitoring-stack /usr/local/bin/monitoring-stack
ENTRYPOINT ["/usr/local/bin/monitoring-stack"]
