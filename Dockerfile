# One image for every service: `rubrica serve --only <service>` picks the role.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin rubrica

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /var/lib/rubrica rubrica \
 && mkdir -p /var/lib/rubrica && chown rubrica /var/lib/rubrica
COPY --from=build /src/target/release/rubrica /usr/local/bin/rubrica
COPY templates /usr/share/rubrica/templates
USER rubrica
WORKDIR /var/lib/rubrica
ENV RUBRICA_HTTP__HOST=0.0.0.0 \
    RUBRICA_HTTP__PORT=8080 \
    RUBRICA_DATA_DIR=/var/lib/rubrica \
    RUBRICA_LOG__FORMAT=json
EXPOSE 8080
ENTRYPOINT ["rubrica"]
CMD ["serve"]
