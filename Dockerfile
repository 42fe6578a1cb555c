# Build: the release binary with SQLite bundled and libpq linked.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
COPY config ./config
RUN cargo build --release --locked

# Run: a small image with libpq and the binary.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app roadshow && mkdir -p /app/data && chown roadshow /app/data
WORKDIR /app
COPY --from=build /src/target/release/roadshow /usr/local/bin/roadshow
COPY config ./config
USER roadshow
ENV ROADSHOW__SERVER__HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["roadshow"]
CMD ["serve"]
